/**
 * Watches every open connection with one interval timer (not a timer per socket).
 * - Heartbeat: each connection is pinged once per heartbeat interval. The connections are spread
 *   over HEARTBEAT_SLOTS ticks per interval, so the server never pings all of them in one go
 *   (10,000 pings in one tick would stall every relay behind them). A connection that has not
 *   answered its previous ping by its next turn is terminated (its network is gone), so a room
 *   sees the peer leave within two intervals.
 * - Join timeout: new connections that have not joined a room yet are checked on every tick and
 *   closed (4004) once the join timeout has passed; one that leaves its room and stays roomless is
 *   closed at its next heartbeat turn.
 * It also counts connections per client address, for the per-address cap.
 */
import type { WebSocket } from 'ws';
import { CloseCode } from './protocol.js';
import type { SignalingSession } from './session.js';

export interface ConnectionMonitorOptions {
  heartbeatIntervalMs: number;
  joinTimeoutMs: number;
  maxConnectionsPerIp: number;
}

/** Ticks per heartbeat interval; each pings the connections in one slot. */
const HEARTBEAT_SLOTS = 10;

interface Tracked {
  session: SignalingSession;
  address: string;
  slot: Set<WebSocket>;
}

export class ConnectionMonitor {
  readonly #connections = new Map<WebSocket, Tracked>();
  readonly #perAddress = new Map<string, number>();
  readonly #slots = Array.from({ length: HEARTBEAT_SLOTS }, () => new Set<WebSocket>());
  /** Connections that had not joined a room when last checked. */
  readonly #awaitingJoin = new Set<WebSocket>();
  #nextSlot = 0;
  #tickCount = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: ConnectionMonitorOptions) {}

  /** Whether another connection from this address is within the cap (checked before upgrade). */
  admits(address: string): boolean {
    return (this.#perAddress.get(address) ?? 0) < this.options.maxConnectionsPerIp;
  }

  track(socket: WebSocket, session: SignalingSession, address: string): void {
    const slot = this.#slots[this.#nextSlot]!;
    this.#nextSlot = (this.#nextSlot + 1) % HEARTBEAT_SLOTS;
    slot.add(socket);
    this.#connections.set(socket, { session, address, slot });
    this.#awaitingJoin.add(socket);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.on('pong', () => {
      session.alive = true;
    });
    socket.once('close', () => this.untrack(socket));
    this.#timer ??= setInterval(() => this.tick(), Math.max(1, Math.round(this.options.heartbeatIntervalMs / HEARTBEAT_SLOTS)));
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  private untrack(socket: WebSocket): void {
    const tracked = this.#connections.get(socket);
    if (!tracked) return;
    this.#connections.delete(socket);
    tracked.slot.delete(socket);
    this.#awaitingJoin.delete(socket);
    const remaining = (this.#perAddress.get(tracked.address) ?? 1) - 1;
    if (remaining > 0) this.#perAddress.set(tracked.address, remaining);
    else this.#perAddress.delete(tracked.address);
    if (this.#connections.size === 0) this.stop();
  }

  private tick(): void {
    const now = performance.now();
    this.closeLateJoiners(now);
    const slot = this.#slots[this.#tickCount % HEARTBEAT_SLOTS]!;
    this.#tickCount += 1;
    for (const socket of slot) {
      const session = this.#connections.get(socket)!.session;
      if (!session.alive) {
        socket.terminate();
        continue;
      }
      // A connection that left its room and stayed roomless is held to the join timeout too.
      if (!session.joined && now - session.connectedAt > this.options.joinTimeoutMs) {
        socket.close(CloseCode.JoinTimeout, 'no join in time');
        continue;
      }
      session.alive = false;
      socket.ping();
    }
  }

  private closeLateJoiners(now: number): void {
    for (const socket of this.#awaitingJoin) {
      const session = this.#connections.get(socket)!.session;
      if (session.joined) {
        this.#awaitingJoin.delete(socket);
      } else if (now - session.connectedAt > this.options.joinTimeoutMs) {
        this.#awaitingJoin.delete(socket);
        socket.close(CloseCode.JoinTimeout, 'no join in time');
      }
    }
  }
}
