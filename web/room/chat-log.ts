/**
 * The message log: every message once (deduplicated by id), in a stable order that every peer
 * agrees on — author time (a hybrid clock: later than anything its author had seen), then author
 * id, then the author's sequence — however and in whatever order the messages arrived (live,
 * retransmitted, or in someone's history).
 */
import { authorOf, sequenceOf } from '../../protocol/ids.js';

export interface LogEntry {
  /** `<author id>:<sequence>` */
  readonly id: string;
  readonly authorId: string;
  readonly authorName: string;
  readonly text: string;
  /** The author's clock, ms since the epoch. */
  readonly sentAt: number;
}

function compare(a: LogEntry, b: LogEntry): number {
  if (a.sentAt !== b.sentAt) return a.sentAt - b.sentAt;
  if (a.authorId !== b.authorId) return a.authorId < b.authorId ? -1 : 1;
  return sequenceOf(a.id) - sequenceOf(b.id);
}

export class ChatLog<T extends LogEntry = LogEntry> {
  readonly #entries: T[] = [];
  readonly #byId = new Map<string, T>();

  /** `onEvict` hears of each entry dropped to make room. */
  constructor(
    private readonly maxEntries: number,
    private readonly onEvict: (entry: T) => void = () => undefined,
  ) {}

  get entries(): readonly T[] {
    return this.#entries;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get(id: string): T | undefined {
    return this.#byId.get(id);
  }

  /**
   * Adds an entry in order; returns false (and changes nothing) for an id already present, an
   * entry whose id does not belong to its author, or, when the log is full, an entry older than
   * all it holds: eviction drops the oldest, so it would go at once, and never in favour of it.
   */
  add(entry: T): boolean {
    if (this.#byId.has(entry.id) || authorOf(entry.id) !== entry.authorId) return false;
    // Almost every message belongs at the end; walk back from there.
    let index = this.#entries.length;
    while (index > 0 && compare(this.#entries[index - 1]!, entry) > 0) index -= 1;
    if (index === 0 && this.#entries.length >= this.maxEntries) return false;
    this.#entries.splice(index, 0, entry);
    this.#byId.set(entry.id, entry);
    if (this.#entries.length > this.maxEntries) {
      for (const dropped of this.#entries.splice(0, this.#entries.length - this.maxEntries)) {
        this.#byId.delete(dropped.id);
        this.onEvict(dropped);
      }
    }
    return true;
  }

  /** The last `count` entries, oldest first. */
  recent(count: number): T[] {
    return this.#entries.slice(Math.max(0, this.#entries.length - count));
  }
}
