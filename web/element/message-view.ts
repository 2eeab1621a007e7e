/**
 * One message in <parley-chat>'s log: who wrote it and when, the quote it replies to, its text (or
 * that it was deleted), its reactions, its receipt, and the actions on it (reply, react, and for
 * one's own: edit, delete). Rendering only: what the actions do is the element's.
 *
 * The actions show while the message is hovered or has the focus (the log's arrow keys move the
 * focus from message to message), so a long log is not hundreds of tab stops.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { ChatMessage, Reaction } from '../room/room.js';
import { aroundName, withName } from './i18n/messages.js';
import { deliveryLabel } from './labels.js';
import { formatMessageTimes } from './message-time.js';
import { renderFile, type FileViewContext } from './file-view.js';
import { visibleFileName } from '../shared/visible-file-name.js';

/** The reactions offered on every message, one click each. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

/** How long a quote's first line may be. */
const QUOTE_LENGTH = 120;

export interface MessageViewContext extends FileViewContext {
  /** Times in the element's language (its `lang` attribute is set), else the browser's. */
  readonly timesInLocale: boolean;
  /** The message whose Delete button now asks "Delete for everyone?". */
  readonly confirmingDelete: string;
  renderText(text: string): unknown;
  renderTag(peerId: string): TemplateResult;
  reply(message: ChatMessage): void;
  edit(message: ChatMessage): void;
  delete(message: ChatMessage): void;
  react(message: ChatMessage, emoji: string): void;
  /** Scrolls to a message and gives it the focus. */
  goTo(messageId: string): void;
}

function withNameInBdi(sentence: string, name: string): TemplateResult {
  const [before, after] = aroundName(sentence);
  return html`${before}<bdi>${name}</bdi>${after}`;
}

/** The first line of a message, cut short, for a quote. */
export function quoteOf(message: ChatMessage): string {
  const line = message.file ? `📎 ${visibleFileName(message.file.name)}` : (message.text.split('\n', 1)[0] ?? '');
  return line.length > QUOTE_LENGTH ? `${line.slice(0, QUOTE_LENGTH - 1)}…` : line;
}

/** The name to show for a message's author (or a reactor): "You" for this participant. */
function nameOf(context: MessageViewContext, peerId: string): string {
  if (peerId === context.room.selfId) return context.m.you;
  return context.room.nameOf(peerId) ?? context.m.someoneWhoLeft;
}

export function renderMessage(context: MessageViewContext, message: ChatMessage): TemplateResult {
  const { m, room } = context;
  const sentAt = new Date(message.sentAt);
  const times = formatMessageTimes(sentAt, context.timesInLocale ? context.locale : undefined);
  return html`
    <article class="message ${message.own ? 'own' : ''}" part="message" data-id=${message.id} tabindex="-1">
      <header class="message-meta">
        <bdi class="author">${message.own ? m.you : message.authorName}</bdi>${message.own ? nothing : context.renderTag(message.authorId)}
        ${room.showsVerifiedNameFalsely(message) ? html`<span class="impostor">${withNameInBdi(m.notTheVerified, message.authorName)}</span>` : nothing}
        <time datetime=${sentAt.toISOString()} title=${times.full}>${times.short}</time>
        ${message.editedAt !== undefined ? html`<span class="edited" title=${formatMessageTimes(new Date(message.editedAt), context.timesInLocale ? context.locale : undefined).full}>${m.edited}</span>` : nothing}
      </header>
      ${message.replyTo ? renderQuote(context, message.replyTo) : nothing}
      ${message.deleted
        ? html`<p class="text deleted">${m.deletedMessage}</p>`
        : message.file
          ? renderFile(context, message, message.file)
          : html`<div class="text" dir="auto">${context.renderText(message.text)}</div>`}
      ${message.reactions ? renderReactions(context, message, message.reactions) : nothing}
      ${message.own ? renderDelivery(context, message) : nothing}
      ${message.deleted ? nothing : renderActions(context, message)}
    </article>
  `;
}

function renderQuote(context: MessageViewContext, replyTo: string): TemplateResult {
  const { m, room } = context;
  const original = room.messageById(replyTo);
  if (!original || original.deleted) return html`<p class="quote missing">${original?.deleted ? m.deletedMessage : m.quoteMissing}</p>`;
  const author = original.own ? m.you : original.authorName;
  return html`<button type="button" class="quote" aria-label=${withName(m.replyQuote, author)} @click=${() => context.goTo(replyTo)}>
    <bdi class="quote-author">${author}</bdi><span class="quote-text" dir="auto">${quoteOf(original)}</span>
  </button>`;
}

function renderReactions(context: MessageViewContext, message: ChatMessage, reactions: readonly Reaction[]): TemplateResult {
  const { m, room, locale } = context;
  const list = new Intl.ListFormat(locale, { type: 'conjunction' });
  return html`<div class="reactions">
    ${reactions.map((reaction) => {
      const names = list.format(reaction.by.map((id) => nameOf(context, id)));
      const mine = room.hasReacted(message.id, reaction.emoji);
      return html`<button
        type="button"
        class="reaction"
        aria-pressed=${mine ? 'true' : 'false'}
        aria-label=${m.reactedBy(reaction.emoji, names)}
        title=${m.reactedBy(reaction.emoji, names)}
        ?disabled=${message.deleted === true}
        @click=${() => context.react(message, reaction.emoji)}
      >
        <span class="reaction-emoji" aria-hidden="true">${reaction.emoji}</span><span class="reaction-count" aria-hidden="true">${reaction.by.length.toLocaleString(locale)}</span>
      </button>`;
    })}
  </div>`;
}

function renderDelivery(context: MessageViewContext, message: ChatMessage): TemplateResult | typeof nothing {
  const { room } = context;
  const delivery = room.deliveryOf(message.id);
  if (!delivery) return nothing;
  const { text, state } = deliveryLabel(delivery, (peerId) => room.nameOf(peerId), context.m, context.locale);
  return html`<p class="delivery" data-state=${state}>${text}</p>`;
}

function renderActions(context: MessageViewContext, message: ChatMessage): TemplateResult {
  const { m, room } = context;
  const confirming = context.confirmingDelete === message.id;
  return html`<div class="message-actions" role="toolbar" aria-label=${m.messageActions}>
    ${QUICK_REACTIONS.map(
      (emoji) =>
        html`<button type="button" class="quick-reaction" aria-label=${m.reactWith(emoji)} title=${m.reactWith(emoji)} aria-pressed=${room.hasReacted(message.id, emoji) ? 'true' : 'false'} @click=${() => context.react(message, emoji)}>
          ${emoji}
        </button>`,
    )}
    <button type="button" class="action reply" @click=${() => context.reply(message)}>${m.reply}</button>
    ${message.own && !message.file ? html`<button type="button" class="action edit" @click=${() => context.edit(message)}>${m.edit}</button>` : nothing}
    ${message.own
      ? html`<button type="button" class="action delete" data-confirming=${confirming ? 'true' : 'false'} @click=${() => context.delete(message)}>${confirming ? m.deleteConfirm : m.delete}</button>`
      : nothing}
  </div>`;
}
