/**
 * A file message in the log: a preview (the sender's thumbnail, then the image itself once it has
 * arrived and matched its digest), the file's name, size and type as plain text, and where its
 * transfer stands, with the one action that makes sense now (download, cancel, save, try again,
 * stop sharing). The name is whatever the sender typed: it is only ever text here.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { isShownImage, type ChatMessage, type FileTransferState, type IncomingStatus, type OutgoingStatus, type ParleyRoom } from '../room/room.js';
import { withName, type Locale, type Messages } from './i18n/messages.js';
import { visibleFileName } from '../shared/visible-file-name.js';

/** What a file message needs from the element (message-view.ts's context has all of it). */
export interface FileViewContext {
  readonly m: Messages;
  readonly locale: Locale;
  readonly room: ParleyRoom;
  acceptFile(message: ChatMessage): void;
  cancelFile(message: ChatMessage): void;
  /** An object URL for a message's file (made once, revoked when the element lets it go). */
  fileUrl(messageId: string, file: File): string;
}

type FileOffer = NonNullable<ChatMessage['file']>;

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/**
 * Number formats are costly to make and progress lines are drawn several times a second, for each
 * transfer: each one is made once per language, unit and precision.
 */
const unitFormats = new Map<string, Intl.NumberFormat>();

function unitFormat(locale: string, unit: string, unitDisplay: 'short' | 'long', maximumFractionDigits: number): Intl.NumberFormat {
  const key = `${locale}|${unit}|${unitDisplay}|${maximumFractionDigits}`;
  let format = unitFormats.get(key);
  if (!format) unitFormats.set(key, (format = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay, maximumFractionDigits })));
  return format;
}

/** "2.4 MB", "17 bytes" in the element's language (decimal units, as file managers show them). */
export function formatBytes(bytes: number, locale: string): string {
  let unit = 0;
  let value = bytes;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // Bytes in full ("17 bytes"): the short form is the unit's name too, unpluralised ("17 byte").
  return unitFormat(locale, UNITS[unit]!, unit === 0 ? 'long' : 'short', unit === 0 ? 0 : 1).format(value);
}

function formatDuration(seconds: number, locale: string): string {
  const [value, unit] = seconds >= 3600 ? [seconds / 3600, 'hour'] : seconds >= 60 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return unitFormat(locale, unit, 'short', 0).format(Math.ceil(value));
}

/** "PDF", "PNG": the short name of a media type, or of the file's extension. */
function typeLabel(offer: FileOffer): string {
  const subtype = offer.mime.split(';', 1)[0]!.split('/')[1] ?? '';
  const name = visibleFileName(offer.name);
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
  const label = /^[\w-]{1,8}$/.test(extension) ? extension : /^[\w-]{1,8}$/.test(subtype) ? subtype : '';
  return label.toUpperCase();
}

function progressLine(context: FileViewContext, status: IncomingStatus | OutgoingStatus): string {
  const { bytes, totalBytes, bytesPerSecond, secondsLeft } = status.progress;
  const locale = context.locale;
  return context.m.fileProgress(
    formatBytes(bytes, locale),
    formatBytes(totalBytes, locale),
    bytesPerSecond ? `${formatBytes(bytesPerSecond, locale)}/s` : '',
    secondsLeft !== undefined ? formatDuration(secondsLeft, locale) : '',
  );
}

function progressBar(status: IncomingStatus | OutgoingStatus, label: string): TemplateResult {
  return html`<progress max=${Math.max(1, status.progress.totalBytes)} value=${status.progress.bytes} aria-label=${label}></progress>`;
}

export function renderFile(context: FileViewContext, message: ChatMessage, offer: FileOffer): TemplateResult {
  const { m, locale, room } = context;
  const transfer = room.fileTransfer(message.id);
  const file = room.fileOf(message.id);
  const image = file && isShownImage(offer.mime) ? context.fileUrl(message.id, file) : undefined;
  const thumb = offer.thumb ? `data:${offer.thumb.mime};base64,${offer.thumb.data}` : undefined;
  const preview = image ?? thumb;
  return html`<div class="file" data-state=${fileState(message, transfer)}>
    ${preview
      ? html`<img
          class="file-preview"
          src=${preview}
          alt=""
          width=${offer.thumb?.width ?? nothing}
          height=${offer.thumb?.height ?? nothing}
          @error=${(event: Event) => showFallback(event.currentTarget as HTMLImageElement, thumb)}
        />`
      : html`<span class="file-icon" aria-hidden="true">📄</span>`}
    <div class="file-body">
      <bdi class="file-name" dir="auto">${visibleFileName(offer.name)}</bdi>
      <span class="file-details">${m.fileDetails(formatBytes(offer.size, locale), typeLabel(offer))}</span>
      ${message.own ? renderOutgoing(context, message, transfer) : renderIncoming(context, message, transfer?.incoming, file)}
    </div>
  </div>`;
}

/** A file said to be an image that does not decode: its preview if it had one, else no picture. */
function showFallback(image: HTMLImageElement, thumb: string | undefined): void {
  if (thumb && image.getAttribute('src') !== thumb) image.src = thumb;
  else image.hidden = true;
}

function fileState(message: ChatMessage, transfer: FileTransferState | undefined): string {
  if (message.own) return transfer?.outgoing.some((stream) => stream.state.state === 'sending') ? 'sending' : 'shared';
  return transfer?.incoming?.state.state ?? 'offered';
}

function renderIncoming(context: FileViewContext, message: ChatMessage, incoming: IncomingStatus | undefined, file: File | undefined): TemplateResult {
  const { m } = context;
  const author = message.authorName;
  const download = (label: string): TemplateResult =>
    html`<button type="button" class="file-action" @click=${() => context.acceptFile(message)}>${label}</button>`;
  const cancel = html`<button type="button" class="file-action secondary" @click=${() => context.cancelFile(message)}>${m.cancel}</button>`;
  const line = (text: string, tone = ''): TemplateResult => html`<span class="file-status" data-tone=${tone}>${text}</span>`;
  if (!incoming) return download(m.download);
  const state = incoming.state;
  switch (state.state) {
    case 'waiting':
      return html`${line(withName(m.fileWaiting, author))} ${cancel}`;
    case 'receiving':
      return html`${progressBar(incoming, progressLine(context, incoming))} ${line(progressLine(context, incoming))} ${cancel}`;
    case 'paused':
      return html`${progressBar(incoming, withName(m.filePaused, author))} ${line(withName(m.filePaused, author))} ${cancel}`;
    case 'verifying':
      return line(m.fileVerifying);
    case 'complete':
      // Streamed into the browser's downloads as it came (no storage in the page): nothing to save.
      if (!file) return line(m.fileSavedToDownloads, 'ok');
      return html`${line(m.fileReceived, 'ok')}
        <a class="file-action" href=${context.fileUrl(message.id, file)} download=${visibleFileName(message.file?.name ?? '')}>${m.save}</a>`;
    case 'cancelled':
      return state.by === 'sender' ? line(withName(m.fileStoppedBySender, author)) : html`${line(m.fileCancelled)} ${download(m.download)}`;
    case 'failed':
      switch (state.reason) {
        case 'unavailable':
          return line(withName(m.fileUnavailable, author), 'bad');
        case 'corrupt':
          return html`${line(m.fileCorrupt, 'bad')} ${download(m.tryAgain)}`;
        case 'protocol':
          return html`${line(withName(m.fileProtocol, author), 'bad')} ${download(m.tryAgain)}`;
        case 'storage':
          return html`${line(m.fileStorage, 'bad')} ${download(m.tryAgain)}`;
        case 'download-stopped':
          return html`${line(m.fileDownloadStopped, 'bad')} ${download(m.tryAgain)}`;
      }
  }
}

function renderOutgoing(context: FileViewContext, message: ChatMessage, transfer: FileTransferState | undefined): TemplateResult {
  const { m, locale, room } = context;
  if (!room.fileOf(message.id)) return html`<span class="file-status">${m.fileNotShared}</span>`;
  const streams = transfer?.outgoing ?? [];
  const nameOf = (peerId: string): string => room.nameOf(peerId) ?? m.someoneWhoLeft;
  const done = streams.filter((stream) => stream.state.state === 'complete').map((stream) => nameOf(stream.peerId));
  const sending = streams.filter((stream) => stream.state.state === 'sending');
  const percent = new Intl.NumberFormat(locale, { style: 'percent' });
  return html`
    ${sending.map(
      (stream) => html`${progressBar(stream, progressLine(context, stream))}
        <span class="file-status">${m.fileSendingTo(nameOf(stream.peerId), percent.format(stream.progress.bytes / Math.max(1, stream.progress.totalBytes)))} · ${progressLine(context, stream)}</span>`,
    )}
    <span class="file-status" data-tone=${done.length > 0 ? 'ok' : ''}>
      ${done.length > 0 ? m.fileSentTo(new Intl.ListFormat(locale, { type: 'conjunction' }).format(done)) : sending.length === 0 ? m.fileNotSentYet : nothing}
    </span>
    <button type="button" class="file-action secondary" @click=${() => context.cancelFile(message)}>${m.stopSharing}</button>
  `;
}
