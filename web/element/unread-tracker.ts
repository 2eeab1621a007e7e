/**
 * Which messages the reader has not seen yet: those that arrived while the page was hidden or while
 * the reader was scrolled up in the log. Gives the unread count (for a tab title or a badge) and
 * where the "New messages" line goes; one's own messages and history catch-up are never unread.
 *
 * The line stays where the unread messages began after they are read, so the reader can still see
 * where they left off; it moves to the next unread message once new ones come, and goes when the
 * reader sends something.
 */
import type { ChatMessage } from '../room/room.js';

export interface ReaderState {
  /** The page is visible (not a background tab, not minimised). */
  visible: boolean;
  /** The log is scrolled to its newest message. */
  atBottom: boolean;
}

export class UnreadTracker {
  #count = 0;
  #markerId: string | undefined;

  constructor(private readonly onCountChange: (count: number) => void) {}

  get count(): number {
    return this.#count;
  }

  /** The first message the reader had not seen when it arrived: the "New messages" line goes above it. */
  get markerId(): string | undefined {
    return this.#markerId;
  }

  messageAdded(message: ChatMessage, reader: ReaderState): void {
    if (message.own) {
      this.sent();
      return;
    }
    if (message.fromHistory || (reader.visible && reader.atBottom)) return;
    if (this.#count === 0) this.#markerId = message.id;
    this.setCount(this.#count + 1);
  }

  /** The reader is looking at the newest messages now (visible and at the bottom). */
  seen(): void {
    this.setCount(0);
  }

  /** The reader wrote something: the line has served its purpose. */
  sent(): void {
    this.#markerId = undefined;
    this.setCount(0);
  }

  private setCount(count: number): void {
    if (count === this.#count) return;
    this.#count = count;
    this.onCountChange(count);
  }
}
