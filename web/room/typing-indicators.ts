/**
 * "Ada is typing…", both ways. Typing frames are throttled on the way out and expire by themselves
 * on the way in, so a tab that closes mid-word, or a frame that is lost, never leaves someone
 * typing forever. Nothing is signed or kept: a typing frame only ever speaks for the peer at the
 * other end of the proven channel it came on.
 */
import { Emitter } from '../shared/emitter.js';
import type { Clock, TimerHandle } from '../shared/clock.js';

/** Someone who said they were typing and said nothing more for this long is no longer shown. */
export const TYPING_EXPIRY_MS = 6000;
/** While we type, others are told so at most this often (each frame renews their expiry). */
export const TYPING_REFRESH_MS = 3000;
/** No keystroke for this long: we stopped typing. */
export const TYPING_IDLE_MS = 4000;

/** Who is typing among the peers, as their frames say. */
export class TypingPeers extends Emitter<{ changed: readonly string[] }> {
  readonly #expiries = new Map<string, TimerHandle>();

  constructor(private readonly clock: Clock) {
    super();
  }

  /** The peers typing now, in the order they started. */
  get typing(): readonly string[] {
    return [...this.#expiries.keys()];
  }

  /** A typing frame from `peerId`. */
  heard(peerId: string, active: boolean): void {
    if (!active) {
      this.stopped(peerId);
      return;
    }
    const known = this.#expiries.has(peerId);
    this.clock.clearTimeout(this.#expiries.get(peerId));
    this.#expiries.set(peerId, this.clock.setTimeout(() => this.stopped(peerId), TYPING_EXPIRY_MS));
    if (!known) this.emit('changed', this.typing);
  }

  /** `peerId` is not typing any more: its message arrived, it said so, or it left. */
  stopped(peerId: string): void {
    if (!this.#expiries.has(peerId)) return;
    this.clock.clearTimeout(this.#expiries.get(peerId));
    this.#expiries.delete(peerId);
    this.emit('changed', this.typing);
  }

  clear(): void {
    for (const handle of this.#expiries.values()) this.clock.clearTimeout(handle);
    const hadAny = this.#expiries.size > 0;
    this.#expiries.clear();
    if (hadAny) this.emit('changed', this.typing);
  }
}

/** Tells the peers when we type: at most one frame per TYPING_REFRESH_MS, and one when we stop. */
export class TypingAnnouncer {
  #lastSaid = -Infinity;
  #idle: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    /** Sends a typing frame to every peer. */
    private readonly tell: (active: boolean) => void,
  ) {}

  /** A keystroke in the message box. */
  typed(): void {
    const now = this.clock.now();
    if (now - this.#lastSaid >= TYPING_REFRESH_MS) {
      this.#lastSaid = now;
      this.tell(true);
    }
    this.clock.clearTimeout(this.#idle);
    this.#idle = this.clock.setTimeout(() => this.stopped(), TYPING_IDLE_MS);
  }

  /** We stopped: the message went, the box was emptied, or we went idle. Said once, only if we had said we were typing. */
  stopped(): void {
    this.clock.clearTimeout(this.#idle);
    this.#idle = undefined;
    if (this.#lastSaid === -Infinity) return;
    this.#lastSaid = -Infinity;
    this.tell(false);
  }

  /** Our message went: those who get it stop showing us typing by themselves, so nothing is said. */
  sent(): void {
    this.dispose();
    this.#lastSaid = -Infinity;
  }

  /** Stops the idle timer without telling anyone (the room is closing). */
  dispose(): void {
    this.clock.clearTimeout(this.#idle);
    this.#idle = undefined;
  }
}
