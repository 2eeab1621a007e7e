/**
 * Watches every open connection with one interval timer (not a timer per socket).
 * - Heartbeat: each connection is pinged about once per heartbeat interval. One pass over all
 *   connections is spread over HEARTBEAT_SLOTS ticks, a tenth of them per tick, so the server never
 *   pings all of them in one go (10,000 pings in one tick would stall every relay behind them). A
 *   connection that has not answered its previous ping by its next turn is terminated (its network
 *   is gone), so a room sees the peer leave within about two intervals.
 * - Join timeout: new connections that have not joined a room yet are checked on every tick and
 *   closed (4004) once the join timeout has passed; one that leaves its room and stays roomless is
 *   closed at its next heartbeat turn.
 * It also counts connections per client address, for the per-address cap, and finds the session
 * of a socket. Per connection it keeps one map entry and one shared listener: an idle server's
 * memory is mostly its connections.
 */
import type { WebSocket } from 'ws';
import { CloseCode } from '../protocol/signaling.js';
import type { SignalingSession } from './session.js';

export interface ConnectionMonitorOptions {
  heartbeatIntervalMs: number;
  joinTimeoutMs: number;
  maxConnectionsPerIp: number;
}

/** Ticks per heartbeat interval; one pass over all connections takes at least this many. */
const HEARTBEAT_SLOTS = 10;

export class ConnectionMonitor {
  readonly #connections = new Map<WebSocket, SignalingSession>();
  readonly #perAddress = new Map<string, number>();
  /** Connections that had not joined a room when last checked. */
  readonly #awaitingJoin = new Set<WebSocket>();
  /** The heartbeat pass under way: a live iterator, so it sees connections added meanwhile. */
  #pass: Iterator<[WebSocket, SignalingSession]> | undefined;
  #passStartedAtTick = -HEARTBEAT_SLOTS;
  #tickCount = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** One 'pong' listener shared by every socket (`this` is the socket). */
  readonly #markAlive: (this: WebSocket) => void;

  constructor(private readonly options: ConnectionMonitorOptions) {
    const connections = this.#connections;
    this.#markAlive = function markAlive(this: WebSocket) {
      const session = connections.get(this);
      if (session) session.alive = true;
    };
  }

  /** Whether another connection from this address is within the cap (checked before upgrade). */
  admits(address: string): boolean {
    return (this.#perAddress.get(address) ?? 0) < this.options.maxConnectionsPerIp;
  }

  track(socket: WebSocket, session: SignalingSession): void {
    this.#connections.set(socket, session);
    this.#awaitingJoin.add(socket);
    this.#perAddress.set(session.address, (this.#perAddress.get(session.address) ?? 0) + 1);
    socket.on('pong', this.#markAlive);
    this.#timer ??= setInterval(() => this.tick(), Math.max(1, Math.round(this.options.heartbeatIntervalMs / HEARTBEAT_SLOTS)));
  }

  /** The session of a tracked socket. */
  sessionOf(socket: WebSocket): SignalingSession | undefined {
    return this.#connections.get(socket);
  }

  /** Forgets a socket that has closed. */
  untrack(socket: WebSocket): void {
    const session = this.#connections.get(socket);
    if (!session) return;
    this.#connections.delete(socket);
    this.#awaitingJoin.delete(socket);
    const remaining = (this.#perAddress.get(session.address) ?? 1) - 1;
    if (remaining > 0) this.#perAddress.set(session.address, remaining);
    else this.#perAddress.delete(session.address);
    if (this.#connections.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#pass = undefined;
  }

  private tick(): void {
    const now = performance.now();
    this.closeLateJoiners(now);
    this.#tickCount += 1;
    if (!this.#pass) {
      // A pass that ended early (connections left) waits out its interval before the next begins,
      // so no connection is pinged twice within much less than an interval.
      if (this.#tickCount - this.#passStartedAtTick < HEARTBEAT_SLOTS) return;
      this.#pass = this.#connections.entries();
      this.#passStartedAtTick = this.#tickCount;
    }
    // A tenth of the current count per tick: a pass over a steady population takes one interval.
    for (let budget = Math.ceil(this.#connections.size / HEARTBEAT_SLOTS); budget > 0; budget -= 1) {
      const next = this.#pass.next();
      if (next.done) {
        this.#pass = undefined;
        return;
      }
      this.heartbeat(next.value[0], next.value[1], now);
    }
  }

  private heartbeat(socket: WebSocket, session: SignalingSession, now: number): void {
    if (!session.alive) {
      socket.terminate();
      return;
    }
    // A connection that left its room and stayed roomless is held to the join timeout too.
    if (!session.joined && now - session.connectedAt > this.options.joinTimeoutMs) {
      socket.close(CloseCode.JoinTimeout, 'no join in time');
      return;
    }
    session.alive = false;
    socket.ping();
  }

  private closeLateJoiners(now: number): void {
    for (const socket of this.#awaitingJoin) {
      const session = this.#connections.get(socket)!;
      if (session.joined) {
        this.#awaitingJoin.delete(socket);
      } else if (now - session.connectedAt > this.options.joinTimeoutMs) {
        this.#awaitingJoin.delete(socket);
        socket.close(CloseCode.JoinTimeout, 'no join in time');
      }
    }
  }
}
