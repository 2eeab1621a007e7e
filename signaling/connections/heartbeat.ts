/**
 * The heartbeat: every connection is pinged about once per interval, from one interval timer for
 * all of them. One pass over the connections is spread over HEARTBEAT_SLOTS ticks, a tenth of them
 * per tick, so the server never pings all of them in one go (10,000 pings in one tick would stall
 * every relay behind them). A connection that has not answered its previous ping by its next turn
 * is terminated (its network is gone), so a room sees the peer leave within about two intervals.
 */
import { systemClock, type CancelTimer, type Clock } from './clock.js';

/** Ticks per heartbeat interval; one pass over all connections takes at least this many. */
export const HEARTBEAT_SLOTS = 10;

/** The part of a WebSocket the heartbeat uses. */
export interface HeartbeatSocket {
  ping(): void;
  terminate(): void;
  on(event: 'pong', listener: (this: this) => void): unknown;
}

/** What the heartbeat reads of the connection registry. */
export interface HeartbeatConnections<Socket> {
  readonly size: number;
  sockets(): Iterable<Socket>;
  /** Whether the socket is still open (a pass skips those that closed since it began). */
  has(socket: Socket): boolean;
}

export interface HeartbeatOptions {
  intervalMs: number;
  clock?: Clock;
}

export class Heartbeat<Socket extends HeartbeatSocket> {
  /**
   * Sockets pinged that have not answered yet. Answers come within milliseconds, so this holds few
   * sockets at any moment, where a flag on every connection would cost memory on all of them.
   */
  readonly #unanswered = new Set<Socket>();
  /** One 'pong' listener shared by every socket (`this` is the socket). */
  readonly #markAnswered: (this: Socket) => void;
  /**
   * The pass under way: the sockets open when it began, each slot cleared once visited (one closed
   * since is held until the pass reaches it, an interval at most). Not a live iterator over the
   * registry's map: that follows connections arriving behind it, so under steady churn a pass never
   * ends and the sockets at its start are never pinged again; and the iterator keeps every table
   * the map outgrows while it lives, closed sockets and all.
   */
  #pass: (Socket | undefined)[] | undefined;
  #passIndex = 0;
  #passStartedAtTick = -HEARTBEAT_SLOTS;
  #tickCount = 0;
  #cancelTimer: CancelTimer | undefined;
  readonly #slotMs: number;
  readonly #clock: Clock;

  constructor(
    private readonly connections: HeartbeatConnections<Socket>,
    options: HeartbeatOptions,
  ) {
    this.#clock = options.clock ?? systemClock;
    this.#slotMs = Math.max(1, Math.round(options.intervalMs / HEARTBEAT_SLOTS));
    const unanswered = this.#unanswered;
    this.#markAnswered = function markAnswered(this: Socket) {
      unanswered.delete(this);
    };
  }

  /** Starts watching a socket the registry holds; the timer runs while the registry holds any. */
  watch(socket: Socket): void {
    socket.on('pong', this.#markAnswered);
    this.#cancelTimer ??= this.#clock.setInterval(() => this.#tick(), this.#slotMs);
  }

  /** Forgets a socket that has closed, once the registry has dropped it. */
  forget(socket: Socket): void {
    this.#unanswered.delete(socket);
    if (this.connections.size === 0) this.stop();
  }

  stop(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#pass = undefined;
  }

  #tick(): void {
    this.#tickCount += 1;
    if (!this.#pass) {
      // A pass that ended early (connections left) waits out its interval before the next begins,
      // so no connection is pinged twice within much less than an interval.
      if (this.#tickCount - this.#passStartedAtTick < HEARTBEAT_SLOTS) return;
      this.#pass = Array.from(this.connections.sockets());
      this.#passIndex = 0;
      this.#passStartedAtTick = this.#tickCount;
    }
    // A tenth of the current count per tick: a pass over a steady population takes one interval.
    const pass = this.#pass;
    for (let budget = Math.ceil(this.connections.size / HEARTBEAT_SLOTS); budget > 0; ) {
      if (this.#passIndex >= pass.length) {
        this.#pass = undefined;
        return;
      }
      const socket = pass[this.#passIndex]!;
      pass[this.#passIndex] = undefined;
      this.#passIndex += 1;
      if (!this.connections.has(socket)) continue;
      this.#beat(socket);
      budget -= 1;
    }
  }

  #beat(socket: Socket): void {
    // It stays in the set until its close arrives (forget), so it is never pinged again.
    if (this.#unanswered.has(socket)) {
      socket.terminate();
      return;
    }
    this.#unanswered.add(socket);
    socket.ping();
  }
}
