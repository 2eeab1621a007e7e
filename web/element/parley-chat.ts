/** `<parley-chat>`, the element; its documentation is on the class below. */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customProperty } from './custom-property.js';
import { ChatSendError, tagOf, type ChatMessage, type Participant, type RoomEvents, type RoomStatus, type SecurityEvent } from '../room/room.js';
import { RoomController } from './room-controller.js';
import { announcementWords, linkPathLabel, peerName, peerStatusLabel, statusLabel } from './labels.js';
import { quoteOf, renderMessage, type MessageViewContext } from './message-view.js';
import { aroundName, withName, type Locale, type Messages } from './i18n/messages.js';
import { en } from './i18n/en.js';
import { messagesFor, pickLocale } from './i18n/locale.js';
import { friendlyName } from './friendly-name.js';
import { MessageAnnouncer } from './message-announcer.js';
import { UnreadTracker } from './unread-tracker.js';
import { parleyChatStyles } from './styles.js';
import { reportRoomActivity, type RoomActivity } from './message-time.js';
import { MAX_CHAT_TEXT_LENGTH } from '../../protocol/peer.js';
import { SIGNAL_PATH } from '../../protocol/signaling.js';

export type { ChatMessage, Participant, RoomStatus, SecurityEvent } from '../room/room.js';

export interface ParleyMessageEventDetail {
  message: ChatMessage;
}
export interface ParleyPeerEventDetail {
  peer: Participant;
}
export interface ParleyStatusEventDetail {
  status: RoomStatus;
}
export interface ParleySecurityEventDetail {
  event: SecurityEvent;
}
export interface ParleyTypingEventDetail {
  participants: Participant[];
}
export interface ParleyUnreadEventDetail {
  count: number;
}

/** What the message box is doing besides writing a new message. */
type ComposerMode = { kind: 'reply' | 'edit'; messageId: string } | undefined;

/** The signaling endpoint of the server this script was loaded from (ws: or wss:). */
function defaultSignalingUrl(): string {
  const url = new URL(SIGNAL_PATH, import.meta.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** What formatting starts with: a marker or a web address. Other text needs no formatter. */
const MAY_BE_FORMATTED = /[*_`[]|https?:\/\//;
/** The formatter's renderer, once loaded (shared by every element on the page). */
let formattedView: ((text: string) => TemplateResult[]) | undefined;
let formattedViewLoading: Promise<void> | undefined;

/** A stable hue per participant id, so each avatar keeps its colour. */
function hueOf(id: string): number {
  let hash = 0;
  for (let index = 0; index < id.length; index += 1) hash = (hash * 31 + id.charCodeAt(index)) >>> 0;
  return hash % 360;
}

function initialOf(name: string): string {
  return (Array.from(name.trim())[0] ?? '?').toUpperCase();
}

/**
 * `<parley-chat>`: a peer-to-peer chat room in one element.
 *
 * ```html
 * <script type="module" src="https://parley.example/parley-chat.js"></script>
 * <parley-chat room="Qm9Xh2v_T1eLk7rN4pZs8w" name="Ada"></parley-chat>
 * ```
 *
 * Everyone whose page shows `<parley-chat>` with the same `room` (and the same signaling server)
 * is in the same chat. Messages travel directly between browsers over WebRTC data channels.
 *
 * @tagname parley-chat
 * @fires parley-message - A message was sent or received. `detail.message` is a ChatMessage.
 * @fires parley-message-changed - A message in the log was edited or deleted by its author, or its
 *   reactions changed: `detail.message` (the ChatMessage as it is now), `detail.change` (edited,
 *   deleted or reactions).
 * @fires parley-typing - Who is typing changed: `detail.participants`, those typing now.
 * @fires parley-file-transfer - A file's transfer changed (accepted, progressed, paused, complete,
 *   cancelled, failed): `detail` is the FileTransferState (messageId, incoming, outgoing).
 * @fires parley-unread - How many messages the reader has not seen changed (they came while the
 *   page was hidden or the log scrolled up): `detail.count`. For a tab title or a badge.
 * @fires parley-peer-joined - Someone joined the room, proved it holds the room key and said its
 *   name. `detail.peer` is a Participant.
 * @fires parley-peer-left - Someone left the room. `detail.peer` is a Participant.
 * @fires parley-status-change - The connection to the room changed. `detail.status` is a RoomStatus.
 * @fires parley-link-path - The direct connection to someone takes a path, known once it opens or
 *   changed: `detail.participant`, `detail.path` (route local-network / through-nat / relayed, the
 *   candidate pair, round trip).
 * @fires parley-link-failed - No path to someone was found: `detail.participant`, `detail.failure`
 *   (no-ice-servers, no-turn, turn-refused, turn-unreachable, no-path).
 * @fires parley-receipt - Who has one of this person's messages changed: `detail.messageId`,
 *   `detail.delivery` (delivered, total, undeliverable).
 * @fires parley-verification - What is known of someone's identity changed: their safety code became
 *   known, they were marked verified or no longer, or they show a verified name with another key.
 *   `detail.peer` is the Participant (safetyCode, verified, identityChanged).
 * @fires parley-security - Something only an attacker or a broken peer causes: a peer failed its
 *   proof, signaling was tampered with, a forged message was refused. `detail.event` is a SecurityEvent.
 *
 * @slot header - Shown above the status line: a title, a logo, buttons of the host page.
 * @slot empty - Shown in the log while it has no messages, instead of the default invitation.
 *
 * @csspart status - The status line at the top.
 * @csspart participants - The list of people in the room.
 * @csspart peer-details - The open participant's details: safety code, verification.
 * @csspart log - The message log.
 * @csspart message - One message in the log.
 * @csspart composer - The message box and Send button.
 *
 * @cssprop --parley-accent - Accent colour (buttons, own messages). Default: #4f46e5 (dark: #818cf8).
 * @cssprop --parley-on-accent - Text on the accent colour. Default: white (dark: #0f172a).
 * @cssprop --parley-background - Background of the element. Default: white (dark: #0f172a).
 * @cssprop --parley-surface - Background of panels and other people's messages.
 * @cssprop --parley-text - Main text colour.
 * @cssprop --parley-muted - Secondary text colour.
 * @cssprop --parley-border - Colour of borders and dividers.
 * @cssprop --parley-radius - Corner radius. Default: 12px.
 * @cssprop --parley-font - Font family. Default: the system UI font.
 */
export class ParleyChat extends LitElement {
  static override properties = {
    room: { type: String, reflect: true },
    name: { type: String, reflect: true },
    signaling: { type: String, reflect: true },
    theme: { type: String, reflect: true },
    // The element's language (HTMLElement's own property, watched): en, de or ar.
    lang: { type: String, reflect: true },
    // `attribute: false` besides `state`: the manifest's analyzer reads only the former.
    composerError: { state: true, attribute: false },
    announcement: { state: true, attribute: false },
    openPeerId: { state: true, attribute: false },
    composerMode: { state: true, attribute: false },
    confirmingDelete: { state: true, attribute: false },
    scrolledUp: { state: true, attribute: false },
    preparingFiles: { state: true, attribute: false },
  };

  static override styles = parleyChatStyles;

  /**
   * The room key: at least 22 characters of A–Z a–z 0–9 - _ (random, as "New room" makes them).
   * Everyone with the same key is in the same room; a shorter one is refused, since it could be guessed.
   */
  declare room: string;
  /** This person's display name. A friendly random name is used when empty. */
  declare name: string;
  /** WebSocket URL of the signaling endpoint. Default: `/signal` on the server this script came from. */
  declare signaling: string;
  /** `auto` (the default: follows the system's light or dark setting), `light` or `dark`. */
  declare theme: 'auto' | 'light' | 'dark';
  declare private composerError: string;
  /** The line the live region holds: the latest announcement of new messages. */
  declare private announcement: string;
  /** The participant whose details (safety code, verification) are open, if any. */
  declare private openPeerId: string;
  /** Replying to or editing a message, if the box is doing either. */
  declare private composerMode: ComposerMode;
  /** The message whose Delete button asks for confirmation. */
  declare private confirmingDelete: string;
  /** The reader scrolled up from the newest messages (the jump button shows). */
  declare private scrolledUp: boolean;
  /** Names of the files being hashed before they are offered. */
  declare private preparingFiles: readonly string[];
  /** Object URLs of files shown or offered for saving, by message id. */
  readonly #fileUrls = new Map<string, { file: File; url: string }>();

  readonly #controller = new RoomController(this, (type, payload) => this.forwardRoomEvent(type, payload));
  readonly #fallbackName = friendlyName();
  // A line the same as the one before would not be read again: every other one ends in a no-break space.
  readonly #announcer = new MessageAnnouncer((line) => (this.announcement = this.announcement === line ? `${line}\u00a0` : line), () => announcementWords(this.#m));
  /** The language shown, and its words (English until another language's file has loaded). */
  #locale: Locale = 'en';
  #m: Messages = en;
  /** Bumped on each change of language, so a slow load for an earlier one is ignored. */
  #localeRequest = 0;
  #stickToBottom = true;
  #autoAcceptImagesUpTo = 10_000_000;
  readonly #unread = new UnreadTracker((count) => {
    this.requestUpdate();
    this.dispatchEvent(new CustomEvent('parley-unread', { bubbles: true, composed: true, detail: { count } }));
  });
  readonly #onVisibilityChange = (): void => this.markSeenIfReading();
  /** The log's shape when it was last scrolled, so status-only updates skip the layout read. */
  #scrolledLogShape = '';
  /** Re-renders once a second while a reconnect countdown is shown. */
  #countdownTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.room = '';
    this.name = '';
    this.signaling = '';
    this.theme = 'auto';
    this.composerError = '';
    this.announcement = '';
    this.openPeerId = '';
    this.composerMode = undefined;
    this.confirmingDelete = '';
    this.scrolledUp = false;
    this.preparingFiles = [];
  }

  /** The participant name in use (the `name` attribute, or the generated default). */
  get displayName(): string {
    return this.#controller.room?.name ?? (this.name.trim() || this.#fallbackName);
  }

  /** The current room status, or undefined when no room is set. */
  get status(): RoomStatus | undefined {
    return this.#controller.room?.status;
  }

  /** The other people in the room. */
  get participants(): readonly Participant[] {
    return this.#controller.room?.participants ?? [];
  }

  /** Messages that came while the page was hidden or the log scrolled up, not seen since. */
  get unreadCount(): number {
    return this.#unread.count;
  }

  /** Someone else's images up to this many bytes are fetched as soon as they are offered (0: never; never one of 64 MiB or more). Default: 10 MB. */
  get autoAcceptImagesUpTo(): number {
    return this.#autoAcceptImagesUpTo;
  }

  set autoAcceptImagesUpTo(bytes: number) {
    this.#autoAcceptImagesUpTo = Math.max(0, bytes);
    const room = this.#controller.room;
    if (room) room.autoAcceptImagesUpTo = this.#autoAcceptImagesUpTo;
  }

  /**
   * Offers files to everyone in the room, as if attached by hand: each is hashed, then offered as
   * a message; the others fetch it from this page when they accept it.
   */
  async shareFiles(files: Iterable<File>): Promise<ChatMessage[]> {
    const room = this.#controller.room;
    if (!room) throw new ChatSendError('closed', 'No room is set: give <parley-chat> a room attribute.');
    room.autoAcceptImagesUpTo = this.#autoAcceptImagesUpTo;
    const shared: ChatMessage[] = [];
    for (const file of files) {
      this.preparingFiles = [...this.preparingFiles, file.name];
      try {
        shared.push(await room.shareFile(file));
      } finally {
        const index = this.preparingFiles.indexOf(file.name);
        this.preparingFiles = this.preparingFiles.filter((_, at) => at !== index);
      }
    }
    this.#stickToBottom = true;
    return shared;
  }

  /**
   * A file message's file: this person's own, or someone else's once received and checked against
   * the digest its author signed; undefined otherwise.
   */
  fileOf(messageId: string): File | undefined {
    return this.#controller.room?.fileOf(messageId);
  }

  /** Every message in the log, oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.#controller.room?.messages ?? [];
  }

  /**
   * Sends a chat message to everyone in the room, as if typed and sent.
   * @returns the message as it appears in the log.
   * @throws ChatSendError when the text is empty or too long, or no room is set.
   */
  send(text: string): ChatMessage {
    const room = this.#controller.room;
    if (!room) throw new ChatSendError('closed', 'No room is set: give <parley-chat> a room attribute.');
    return room.send(text);
  }

  /** Leaves the room: the others see this person go at once; the log stays on screen. */
  leave(): void {
    this.#controller.leave();
  }

  /** Joins the room again (after leave(), or to retry after a refusal). */
  join(): void {
    this.#controller.join();
  }

  /** Puts the keyboard focus in the message box. */
  override focus(options?: FocusOptions): void {
    const textarea = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea');
    if (textarea) textarea.focus(options);
    else super.focus(options);
  }

  /** The language in use: the `lang` attribute's, or the browser's, if Parley speaks it; else English. */
  get locale(): Locale {
    return this.#locale;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('lang') || !this.hasUpdated) this.chooseLanguage();
    const room = this.#controller.room;
    if (room && room.autoAcceptImagesUpTo !== this.#autoAcceptImagesUpTo) room.autoAcceptImagesUpTo = this.#autoAcceptImagesUpTo;
    if (changed.has('room') || changed.has('name') || changed.has('signaling')) {
      this.#controller.update(
        this.room
          ? { roomKey: this.room, name: this.name.trim() || this.#fallbackName, signalingUrl: this.signaling || defaultSignalingUrl() }
          : undefined,
      );
    }
  }

  private chooseLanguage(): void {
    const wanted = this.lang ? [this.lang] : typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]);
    const locale = pickLocale(wanted);
    const request = (this.#localeRequest += 1);
    if (locale === this.#locale) return;
    void messagesFor(locale).then((messages) => {
      if (request !== this.#localeRequest) return;
      this.#locale = locale;
      this.#m = messages;
      this.requestUpdate();
    });
  }

  /**
   * A message's text, formatted (message-format.ts) when it has anything to format. The formatter
   * loads on the first such message, from a file beside the script: until then, and if it cannot
   * load, the text shows as written.
   */
  private renderText(text: string): unknown {
    if (!MAY_BE_FORMATTED.test(text)) return text;
    if (formattedView) return formattedView(text);
    formattedViewLoading ??= import('./formatted-text.js').then(
      (module) => {
        formattedView = module.renderFormattedText;
      },
      () => undefined,
    );
    void formattedViewLoading.then(() => this.requestUpdate());
    return text;
  }

  /** A sentence with a person's name in it, the name set apart in <bdi> (a right-to-left name stays whole). */
  private sentenceWithName(sentence: string, name: string): TemplateResult {
    const [before, after] = aroundName(sentence);
    return html`${before}<bdi>${name}</bdi>${after}`;
  }

  /** Why a message could not go, in the element's language; the text stays in the box. */
  private composerErrorText(error: unknown, length: number): string {
    if (!(error instanceof ChatSendError)) return error instanceof Error ? error.message : String(error);
    switch (error.reason) {
      case 'empty':
        return this.#m.composerEmpty;
      case 'too-long':
        return this.#m.composerTooLong(MAX_CHAT_TEXT_LENGTH, length);
      case 'closed':
        return this.#m.composerClosed;
      case 'not-ready':
        return this.#m.composerNotReady;
      default:
        // Replying to, editing or reacting to a message that has just gone: nothing to say but that.
        return this.#m.quoteMissing;
    }
  }

  private roomActivity(): RoomActivity | undefined {
    const room = this.#controller.room;
    // A room that is gone or refused has nothing more to connect.
    if (!room || room.status.phase === 'closed' || room.status.phase === 'rejected') return undefined;
    if (room.status.phase !== 'joined') return 'busy';
    const participants = room.participants;
    if (participants.length === 0) return 'alone';
    return participants.every((peer) => peer.state === 'connected' || peer.state === 'failed') ? 'settled' : 'busy';
  }

  protected override updated(): void {
    // Get the message times ready for the first message while the room has nothing to do.
    reportRoomActivity(this, this.roomActivity());
    const messages = this.messages;
    const newest = messages.at(-1);
    const logShape = newest ? `${messages.length} ${newest.id}` : '';
    if (logShape !== this.#scrolledLogShape) {
      this.#scrolledLogShape = logShape;
      const log = this.renderRoot.querySelector<HTMLElement>('.log');
      // Reading scrollHeight forces a layout: only pay for it when a message was added.
      if (log && this.#stickToBottom) log.scrollTop = log.scrollHeight;
    }
    clearTimeout(this.#countdownTimer);
    const retryAt = this.status?.retryAt;
    if (this.status?.phase === 'reconnecting' && retryAt !== undefined && retryAt > Date.now()) {
      this.#countdownTimer = setTimeout(() => this.requestUpdate(), 1000);
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.#onVisibilityChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.#onVisibilityChange);
    for (const { url } of this.#fileUrls.values()) URL.revokeObjectURL(url);
    this.#fileUrls.clear();
    clearTimeout(this.#countdownTimer);
    this.#announcer.dispose();
    reportRoomActivity(this, undefined);
  }

  private forwardRoomEvent<K extends keyof RoomEvents>(type: K, payload: RoomEvents[K]): void {
    const init = { bubbles: true, composed: true };
    switch (type) {
      case 'message':
        this.#announcer.messageAdded(payload as ChatMessage, this.#stickToBottom);
        this.#unread.messageAdded(payload as ChatMessage, { visible: document.visibilityState === 'visible', atBottom: this.#stickToBottom });
        this.dispatchEvent(new CustomEvent('parley-message', { ...init, detail: { message: payload as ChatMessage } }));
        return;
      case 'peer-joined':
        this.dispatchEvent(new CustomEvent('parley-peer-joined', { ...init, detail: { peer: payload as Participant } }));
        return;
      case 'peer-left':
        this.dispatchEvent(new CustomEvent('parley-peer-left', { ...init, detail: { peer: payload as Participant } }));
        return;
      case 'status':
        this.dispatchEvent(new CustomEvent('parley-status-change', { ...init, detail: { status: payload as RoomStatus } }));
        return;
      case 'security':
        this.dispatchEvent(new CustomEvent('parley-security', { ...init, detail: { event: payload as SecurityEvent } }));
        return;
      case 'link-path':
        this.dispatchEvent(new CustomEvent('parley-link-path', { ...init, detail: payload as RoomEvents['link-path'] }));
        return;
      case 'link-failed':
        this.dispatchEvent(new CustomEvent('parley-link-failed', { ...init, detail: payload as RoomEvents['link-failed'] }));
        return;
      case 'receipt':
        this.dispatchEvent(new CustomEvent('parley-receipt', { ...init, detail: payload as RoomEvents['receipt'] }));
        return;
      case 'verification':
        this.dispatchEvent(new CustomEvent('parley-verification', { ...init, detail: { peer: payload as Participant } }));
        return;
      case 'message-changed': {
        const { message } = payload as RoomEvents['message-changed'];
        if (message.deleted) this.releaseFileUrl(message.id);
        if (message.deleted && this.composerMode?.messageId === message.id) this.composerMode = undefined;
        this.dispatchEvent(new CustomEvent('parley-message-changed', { ...init, detail: payload as RoomEvents['message-changed'] }));
        return;
      }
      case 'typing':
        this.dispatchEvent(new CustomEvent('parley-typing', { ...init, detail: payload as RoomEvents['typing'] }));
        return;
      case 'file-transfer':
        this.dispatchEvent(new CustomEvent('parley-file-transfer', { ...init, detail: payload as RoomEvents['file-transfer'] }));
        return;
    }
  }

  private onLogScroll(event: Event): void {
    const log = event.currentTarget as HTMLElement;
    this.#stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    this.scrolledUp = !this.#stickToBottom;
    this.markSeenIfReading();
  }

  /** The reader sees the newest messages: nothing is unread any more. */
  private markSeenIfReading(): void {
    if (this.#stickToBottom && document.visibilityState === 'visible') this.#unread.seen();
  }

  private jumpToLatest(): void {
    const log = this.renderRoot.querySelector<HTMLElement>('.log');
    if (!log) return;
    log.scrollTop = log.scrollHeight;
    this.#stickToBottom = true;
    this.scrolledUp = false;
    this.markSeenIfReading();
  }

  private onComposerKeydown(event: KeyboardEvent): void {
    const textarea = event.currentTarget as HTMLTextAreaElement;
    if (event.key === 'Escape' && this.composerMode) {
      event.preventDefault();
      this.cancelComposerMode();
      return;
    }
    // Arrow up in an empty box edits one's last message, as in most chats.
    if (event.key === 'ArrowUp' && textarea.value === '' && !this.composerMode) {
      const last = [...this.messages].reverse().find((message) => message.own && !message.deleted && !message.file);
      if (last) {
        event.preventDefault();
        this.startEdit(last);
      }
      return;
    }
    // Enter sends; Shift+Enter (and Enter while an input method is composing) inserts a newline.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  private onComposerInput(event: Event): void {
    if (this.composerError) this.composerError = '';
    this.#controller.room?.typing((event.currentTarget as HTMLTextAreaElement).value !== '');
  }

  private get textarea(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector<HTMLTextAreaElement>('textarea');
  }

  private startReply(message: ChatMessage): void {
    if (this.composerMode?.kind === 'edit' && this.textarea) this.textarea.value = '';
    this.composerMode = { kind: 'reply', messageId: message.id };
    this.textarea?.focus();
  }

  private startEdit(message: ChatMessage): void {
    this.composerMode = { kind: 'edit', messageId: message.id };
    const textarea = this.textarea;
    if (!textarea) return;
    textarea.value = message.text;
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  }

  private cancelComposerMode(): void {
    if (this.composerMode?.kind === 'edit' && this.textarea) this.textarea.value = '';
    this.composerMode = undefined;
    this.composerError = '';
    this.textarea?.focus();
  }

  /** An object URL for a file (one per message, the same one on every render). */
  private fileUrl(messageId: string, file: File): string {
    const known = this.#fileUrls.get(messageId);
    if (known?.file === file) return known.url;
    if (known) URL.revokeObjectURL(known.url);
    const url = URL.createObjectURL(file);
    this.#fileUrls.set(messageId, { file, url });
    return url;
  }

  private releaseFileUrl(messageId: string): void {
    const known = this.#fileUrls.get(messageId);
    if (known) URL.revokeObjectURL(known.url);
    this.#fileUrls.delete(messageId);
  }

  /** Files from the attach button, a drop or a paste: each offered; a failure is said in the composer. */
  private offerFiles(files: readonly File[]): void {
    if (files.length === 0) return;
    void this.shareFiles(files).catch((error: unknown) => {
      this.composerError = this.composerErrorText(error, 0);
    });
  }

  private onFilesChosen(event: Event): void {
    const input = event.currentTarget as HTMLInputElement;
    this.offerFiles([...(input.files ?? [])]);
    input.value = '';
  }

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files') || !this.canWrite()) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }

  private onDrop(event: DragEvent): void {
    if (!event.dataTransfer?.files.length || !this.canWrite()) return;
    event.preventDefault();
    this.offerFiles([...event.dataTransfer.files]);
  }

  /** Pasting files (a screenshot from the clipboard) offers them; pasting text stays text. */
  private onPaste(event: ClipboardEvent): void {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    this.offerFiles(files);
  }

  private canWrite(): boolean {
    const phase = this.#controller.room?.status.phase;
    return phase !== undefined && phase !== 'closed' && phase !== 'rejected';
  }

  /** The first click on Delete asks; the second, on the same message, deletes. */
  private deleteMessage(message: ChatMessage): void {
    if (this.confirmingDelete !== message.id) {
      this.confirmingDelete = message.id;
      return;
    }
    this.confirmingDelete = '';
    if (this.composerMode?.messageId === message.id) this.cancelComposerMode();
    void this.#controller.room?.deleteMessage(message.id).catch(() => undefined);
    this.focusLogAfterRemoval(message.id);
  }

  /** The focus was on a button of a message that loses its buttons: keep it in the log. */
  private focusLogAfterRemoval(messageId: string): void {
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`article[data-id="${CSS.escape(messageId)}"]`)?.focus());
  }

  private react(message: ChatMessage, emoji: string): void {
    void this.#controller.room?.react(message.id, emoji).catch(() => undefined);
  }

  /** Scrolls to a message (a reply's original) and gives it the focus, so it is seen and read. */
  private goTo(messageId: string): void {
    const article = this.renderRoot.querySelector<HTMLElement>(`article[data-id="${CSS.escape(messageId)}"]`);
    if (!article) return;
    article.scrollIntoView({ block: 'center' });
    article.focus({ preventScroll: true });
  }

  /** Arrow keys move the focus from message to message in the log; Home and End to the ends. */
  private onLogKeydown(event: KeyboardEvent): void {
    if (!['ArrowUp', 'ArrowDown', 'Home', 'End'].includes(event.key)) return;
    const articles = [...this.renderRoot.querySelectorAll<HTMLElement>('article.message')];
    if (articles.length === 0) return;
    const current = articles.findIndex((article) => article.contains(this.shadowRoot?.activeElement ?? null));
    let next: number;
    if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = articles.length - 1;
    else if (current === -1) next = articles.length - 1;
    else next = Math.min(articles.length - 1, Math.max(0, current + (event.key === 'ArrowUp' ? -1 : 1)));
    event.preventDefault();
    articles[next]!.focus();
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    this.submit();
  }

  private submit(): void {
    const textarea = this.textarea;
    const room = this.#controller.room;
    if (!textarea) return;
    const mode = this.composerMode;
    try {
      if (!room || !mode) this.send(textarea.value);
      else if (mode.kind === 'reply') room.reply(mode.messageId, textarea.value);
      else {
        void room.editMessage(mode.messageId, textarea.value).catch(() => undefined);
        // An edit is no new message: say we stopped, or the others would see us typing until it expires.
        room.typing(false);
      }
    } catch (error) {
      // The text stays in the box: nothing the person typed is lost.
      this.composerError = this.composerErrorText(error, textarea.value.length);
      return;
    }
    textarea.value = '';
    this.composerError = '';
    this.composerMode = undefined;
    if (mode?.kind !== 'edit') this.#stickToBottom = true;
    textarea.focus();
  }

  protected override render(): TemplateResult {
    const room = this.#controller.room;
    if (!room) {
      return html`<div class="empty-room" part="status" role="status" lang=${this.#locale} dir=${this.#m.direction}>${this.#m.noRoom}</div>`;
    }
    const participants = room.participants;
    const canSend = room.status.phase !== 'rejected' && room.status.phase !== 'closed';
    const m = this.#m;
    return html`
      <div class="chat" lang=${this.#locale} dir=${m.direction} @dragover=${this.onDragOver} @drop=${this.onDrop}>
        <div class="header"><slot name="header"></slot></div>
        ${this.renderStatus(room.status, participants)}
        <section class="participants" part="participants" aria-label=${m.participants} @keydown=${this.onParticipantsKeydown}>
          <h2 class="section-title">${m.inThisRoom} <span class="count">${(participants.length + 1).toLocaleString(this.#locale)}</span></h2>
          <ul>
            <li class="participant self">
              ${this.renderAvatar(room.selfId || 'self', room.name)}
              <span class="participant-name"><bdi>${room.name}</bdi>${room.selfId ? this.renderTag(room.selfId) : nothing}</span>
              <span class="peer-state you">${m.you}</span>
            </li>
            ${participants.map((peer) => this.renderParticipant(peer))}
          </ul>
          ${this.renderPeerDetails(participants.find((peer) => peer.id === this.openPeerId))}
        </section>
        <div class="log" part="log" role="log" aria-live="off" aria-label=${m.messages} tabindex="0" @scroll=${this.onLogScroll} @keydown=${this.onLogKeydown}>
          ${room.messages.length === 0
            ? html`<slot name="empty"><p class="log-empty">${m.emptyLog}</p></slot>`
            : this.renderMessages(room.messages)}
          ${this.scrolledUp
            ? html`<button type="button" class="jump-latest" @click=${() => this.jumpToLatest()}>
                <span aria-hidden="true">↓</span> ${this.#unread.count > 0 ? this.#m.unreadBelow(this.#unread.count) : this.#m.jumpToLatest}
              </button>`
            : nothing}
        </div>
        <form class="composer" part="composer" @submit=${this.onSubmit}>
          ${this.renderTyping()} ${this.renderComposerMode()}
          ${this.preparingFiles.map((name) => html`<p class="preparing-file" role="status">${this.sentenceWithName(m.preparingFile, name)}</p>`)}
          <textarea
            aria-label=${m.messageBox}
            placeholder=${m.messagePlaceholder}
            title=${m.messageHint}
            rows="2"
            maxlength=${MAX_CHAT_TEXT_LENGTH}
            aria-invalid=${this.composerError ? 'true' : 'false'}
            ?disabled=${!canSend}
            aria-describedby="composer-error"
            @keydown=${this.onComposerKeydown}
            @input=${this.onComposerInput}
            @paste=${this.onPaste}
          ></textarea>
          <div class="composer-buttons">
            <label class="attach" title=${m.attachFiles} ?data-disabled=${!canSend}>
              <input type="file" multiple class="attach-input" aria-label=${m.attachFiles} ?disabled=${!canSend} @change=${this.onFilesChosen} />
              <span aria-hidden="true">📎</span>
            </label>
            <button type="submit" ?disabled=${!canSend}>${m.send}</button>
          </div>
          <p id="composer-error" class="composer-error" role="alert">${this.composerError || nothing}</p>
        </form>
        <div class="announcer" aria-live="polite" aria-atomic="true">${this.announcement}</div>
      </div>
    `;
  }

  private renderStatus(status: RoomStatus, participants: readonly Participant[]): TemplateResult {
    const connected = participants.filter((peer) => peer.state === 'connected').length;
    const text = statusLabel(status, participants.length, Date.now(), connected, this.#m, typeof location === 'undefined' ? undefined : location.origin);
    return html`<p class="status" part="status" role="status" data-phase=${status.phase}>
      <span class="dot" aria-hidden="true"></span>${text}
      ${status.phase === 'closed' ? html`<button type="button" class="status-action" @click=${() => this.join()}>${this.#m.joinAgain}</button>` : nothing}
    </p>`;
  }

  private renderParticipant(peer: Participant): TemplateResult {
    const m = this.#m;
    const status = peerStatusLabel(peer, m);
    const open = this.openPeerId === peer.id;
    return html`
      <li>
        <button
          type="button"
          class="participant"
          data-state=${peer.state}
          data-proof=${peer.proof}
          aria-expanded=${open ? 'true' : 'false'}
          aria-controls="peer-details"
          @click=${() => (this.openPeerId = open ? '' : peer.id)}
        >
          ${this.renderAvatar(peer.id, peer.name)}
          <span class="participant-name"><bdi>${peerName(peer, m)}</bdi>${this.renderTag(peer.id)}${peer.verified ? html`<span class="verified-mark" title=${m.verified}>✓</span>` : nothing}</span>
          <span class="peer-state" data-tone=${status.tone} title=${status.text}><span class="dot" aria-hidden="true"></span>${status.text}</span>
        </button>
      </li>
    `;
  }

  /** The open participant's details: who it is, its safety code, and the verify switch. */
  private renderPeerDetails(peer: Participant | undefined): TemplateResult | typeof nothing {
    if (!peer) return nothing;
    const m = this.#m;
    const name = peerName(peer, m);
    const problem = peer.problem ? m.peerProblem[peer.problem].long : undefined;
    return html`
      <div id="peer-details" class="peer-details" part="peer-details" role="region" aria-label=${withName(m.about, name)}>
        <p class="peer-details-title"><bdi>${name}</bdi>${this.renderTag(peer.id)}</p>
        ${problem ? html`<p class="peer-problem">${problem}</p>` : nothing}
        ${peer.path && peer.state === 'connected'
          ? html`<p class="peer-connection" data-route=${peer.path.route} title=${`${peer.path.localCandidate} ↔ ${peer.path.remoteCandidate}, ${peer.path.protocol}`}>${linkPathLabel(peer.path, m, this.#locale)}</p>`
          : peer.linkFailure
            ? html`<p class="peer-problem" data-link-failure=${peer.linkFailure}>${m.linkFailure[peer.linkFailure].long}</p>`
            : nothing}
        ${peer.identityChanged
          ? html`<p class="peer-problem">${this.sentenceWithName(m.identityChanged, peer.name)}</p>`
          : nothing}
        ${peer.safetyCode
          ? html`
              <p class="safety-label">${m.safetyCode}</p>
              <p class="safety-code" translate="no">${peer.safetyCode}</p>
              <p class="safety-help">${this.sentenceWithName(m.safetyHelp, name)}</p>
              <button type="button" class="verify" aria-pressed=${peer.verified ? 'true' : 'false'} @click=${() => this.#controller.room?.setVerified(peer.id, !peer.verified)}>
                ${peer.verified ? m.verifiedUndo : withName(m.markVerified, name)}
              </button>
            `
          : problem
            ? nothing
            : html`<p class="safety-help">${this.sentenceWithName(m.safetyPending, name)}</p>`}
      </div>
    `;
  }

  private onParticipantsKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Escape' || !this.openPeerId) return;
    const id = this.openPeerId;
    this.openPeerId = '';
    void this.updateComplete.then(() => {
      const buttons = [...this.renderRoot.querySelectorAll<HTMLButtonElement>('button.participant')];
      buttons[this.participants.findIndex((peer) => peer.id === id)]?.focus();
    });
  }

  /** The short tag from a peer id (and so from its key): tells two people of the same name apart. */
  private renderTag(id: string): TemplateResult {
    return html`<span class="tag" ${customProperty('--hue', String(hueOf(id)))} title=${this.#m.identityTag} translate="no" dir="ltr">#${tagOf(id)}</span>`;
  }

  private renderAvatar(id: string, name: string): TemplateResult {
    return html`<span class="avatar" aria-hidden="true" ${customProperty('--hue', String(hueOf(id)))}>${initialOf(name)}</span>`;
  }

  /** The log's messages, with the "New messages" line above the first one the reader had not seen. */
  private renderMessages(messages: readonly ChatMessage[]): unknown[] {
    const context = this.messageViewContext();
    const markerId = this.#unread.markerId;
    return messages.map((message) =>
      message.id === markerId
        ? html`<div class="new-messages-line" role="separator"><span>${this.#m.newMessagesLine}</span></div>${renderMessage(context, message)}`
        : renderMessage(context, message),
    );
  }

  /** What message-view.ts needs from the element, made once per render. */
  private messageViewContext(): MessageViewContext {
    const context: MessageViewContext = {
      m: this.#m,
      locale: this.#locale,
      timesInLocale: Boolean(this.lang),
      room: this.#controller.room!,
      confirmingDelete: this.confirmingDelete,
      renderText: (text) => this.renderText(text),
      renderTag: (id) => this.renderTag(id),
      reply: (message) => this.startReply(message),
      edit: (message) => this.startEdit(message),
      delete: (message) => this.deleteMessage(message),
      react: (message, emoji) => this.react(message, emoji),
      goTo: (messageId) => this.goTo(messageId),
      acceptFile: (message) => void this.#controller.room?.acceptFile(message.id).catch(() => undefined),
      cancelFile: (message) => this.#controller.room?.cancelFile(message.id),
      fileUrl: (messageId, file) => this.fileUrl(messageId, file),
    };
    return context;
  }

  /** "Ada is typing…", between the log and the message box. Not announced: it would talk over the messages. */
  private renderTyping(): TemplateResult {
    const typing = this.#controller.room?.typingParticipants ?? [];
    const names = new Intl.ListFormat(this.#locale, { type: 'conjunction' }).format(typing.slice(0, 3).map((peer) => peerName(peer, this.#m)));
    return html`<p class="typing">${typing.length > 0 ? this.#m.typing(typing.length, names) : nothing}</p>`;
  }

  /** Above the message box: what it replies to, or that it edits a message; with Cancel. */
  private renderComposerMode(): TemplateResult | typeof nothing {
    const mode = this.composerMode;
    const room = this.#controller.room;
    const message = mode ? room?.messageById(mode.messageId) : undefined;
    if (!mode || !message) return nothing;
    const m = this.#m;
    return html`<div class="composer-mode" data-kind=${mode.kind}>
      <p class="composer-mode-text">
        ${mode.kind === 'reply' ? this.sentenceWithName(m.replyingTo, message.own ? m.you : message.authorName) : m.editingMessage}
        <span class="quote-text" dir="auto">${quoteOf(message)}</span>
      </p>
      <button type="button" class="composer-mode-cancel" @click=${() => this.cancelComposerMode()}>${m.cancel}</button>
    </div>`;
  }
}

declare global {
  interface ParleyChatEventMap {
    'parley-message': CustomEvent<ParleyMessageEventDetail>;
    'parley-peer-joined': CustomEvent<ParleyPeerEventDetail>;
    'parley-peer-left': CustomEvent<ParleyPeerEventDetail>;
    'parley-status-change': CustomEvent<ParleyStatusEventDetail>;
    'parley-security': CustomEvent<ParleySecurityEventDetail>;
    'parley-link-path': CustomEvent<RoomEvents['link-path']>;
    'parley-link-failed': CustomEvent<RoomEvents['link-failed']>;
    'parley-receipt': CustomEvent<RoomEvents['receipt']>;
    'parley-verification': CustomEvent<ParleyPeerEventDetail>;
    'parley-message-changed': CustomEvent<RoomEvents['message-changed']>;
    'parley-typing': CustomEvent<ParleyTypingEventDetail>;
    'parley-unread': CustomEvent<ParleyUnreadEventDetail>;
    'parley-file-transfer': CustomEvent<RoomEvents['file-transfer']>;
  }
  // The events bubble and are composed, so listeners on ancestors and the document see them too.
  interface HTMLElementEventMap extends ParleyChatEventMap {}
  interface DocumentEventMap extends ParleyChatEventMap {}
}
