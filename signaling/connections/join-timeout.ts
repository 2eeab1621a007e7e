/**
 * The join timeout: a connection must be in a room within JOIN_TIMEOUT_MS of connecting, and of
 * leaving its room, or it is closed with 4004. One timer for all connections, set for the earliest
 * deadline: every deadline is the same span after it was set, so the order in which connections
 * were added is the order of their deadlines.
 */
import { CloseCode } from '../../protocol/signaling.js';
import { systemClock, type CancelTimer, type Clock } from './clock.js';

/** The part of a connection the join timeout uses. */
export interface ClosableSocket {
  close(code: number, reason: string): void;
}

export interface JoinTimeoutOptions {
  timeoutMs: number;
  clock?: Clock;
}

export class JoinTimeout<Socket extends ClosableSocket> {
  /** Connections in no room, with their deadlines, earliest first (a Map keeps insertion order). */
  readonly #deadlines = new Map<Socket, number>();
  #cancelTimer: CancelTimer | undefined;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #expire = (): void => this.#closeExpired();

  constructor(options: JoinTimeoutOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock ?? systemClock;
  }

  /** The connection is in no room from now on: it must join one within the timeout. */
  expectJoin(socket: Socket): void {
    // Deleted first, so a connection that is given a new deadline moves to the end of the order.
    this.#deadlines.delete(socket);
    this.#deadlines.set(socket, this.#clock.now() + this.#timeoutMs);
    this.#arm();
  }

  /** The connection is in a room, or gone: it has no deadline. */
  cancel(socket: Socket): void {
    if (this.#deadlines.delete(socket) && this.#deadlines.size === 0) this.stop();
  }

  stop(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  /** Sets the timer for the earliest deadline, unless one is set (it is then for an earlier one). */
  #arm(): void {
    if (this.#cancelTimer) return;
    const earliest = this.#deadlines.values().next();
    if (earliest.done) return;
    this.#cancelTimer = this.#clock.setTimeout(this.#expire, Math.max(0, earliest.value - this.#clock.now()));
  }

  #closeExpired(): void {
    this.#cancelTimer = undefined;
    const now = this.#clock.now();
    for (const [socket, deadline] of this.#deadlines) {
      if (deadline > now) break;
      this.#deadlines.delete(socket);
      socket.close(CloseCode.JoinTimeout, 'no join in time');
    }
    this.#arm();
  }
}
