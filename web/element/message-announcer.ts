/**
 * What a screen reader hears of the chat. The log itself is not a live region (a live log re-reads
 * itself as it changes); instead one polite line tells of new messages: "Ada: are you there?".
 * At most one line per ANNOUNCE_INTERVAL_MS: messages in between are gathered into the next
 * ("3 new messages. Bob: …"). Silent for one's own messages, for history caught up from peers,
 * and while the reader has scrolled up to read older ones. Receipts are never announced.
 */
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import type { ChatMessage } from '../room/room.js';

export const ANNOUNCE_INTERVAL_MS = 2000;
/** Longer texts are cut here: the reader can go to the log for the rest. */
export const ANNOUNCED_TEXT_LENGTH = 140;

export interface AnnouncementWords {
  /** "Ada: hello" */
  one(author: string, text: string): string;
  /** "3 new messages. Bob: hello" */
  several(count: number, lastAuthor: string, lastText: string): string;
}

export class MessageAnnouncer {
  readonly #say: (line: string) => void;
  readonly #words: () => AnnouncementWords;
  readonly #clock: Clock;
  #held: ChatMessage[] = [];
  #quietUntil = -Infinity;
  #timer: TimerHandle | undefined;

  /** `say` puts a line in the live region; `words` gives the sentences in the element's language. */
  constructor(say: (line: string) => void, words: () => AnnouncementWords, clock: Clock = systemClock) {
    this.#say = say;
    this.#words = words;
    this.#clock = clock;
  }

  /** A message entered the log; `readerAtLatest` is false while the reader has scrolled up. */
  messageAdded(message: ChatMessage, readerAtLatest: boolean): void {
    if (message.own || message.fromHistory || !readerAtLatest) return;
    const now = this.#clock.now();
    if (this.#timer === undefined && now >= this.#quietUntil) {
      this.#announce([message], now);
      return;
    }
    this.#held.push(message);
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      const held = this.#held;
      this.#held = [];
      if (held.length > 0) this.#announce(held, this.#clock.now());
    }, this.#quietUntil - now);
  }

  dispose(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#held = [];
  }

  #announce(messages: ChatMessage[], now: number): void {
    const last = messages.at(-1)!;
    const text = shortened(last.text);
    const words = this.#words();
    this.#say(messages.length === 1 ? words.one(last.authorName, text) : words.several(messages.length, last.authorName, text));
    this.#quietUntil = now + ANNOUNCE_INTERVAL_MS;
  }
}

function shortened(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  // Counted and cut in characters, never inside a surrogate pair.
  const characters = Array.from(oneLine);
  return characters.length <= ANNOUNCED_TEXT_LENGTH ? oneLine : `${characters.slice(0, ANNOUNCED_TEXT_LENGTH).join('')}…`;
}
