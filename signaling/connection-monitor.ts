/**
 * Watches every open connection with one interval (not a timer per socket). Each tick:
 * - a socket that has not answered the previous ping is terminated (its network is gone), so the
 *   room sees the peer leave within two intervals;
 * - a socket that has not joined a room within the join timeout is closed (4004);
 * - every other socket is pinged.
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

interface Tracked {
  session: SignalingSession;
  address: string;
}

export class ConnectionMonitor {
  readonly #connections = new Map<WebSocket, Tracked>();
  readonly #perAddress = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: ConnectionMonitorOptions) {}

  /** Whether another connection from this address is within the cap (checked before upgrade). */
  admits(address: string): boolean {
    return (this.#perAddress.get(address) ?? 0) < this.options.maxConnectionsPerIp;
  }

  track(socket: WebSocket, session: SignalingSession, address: string): void {
    this.#connections.set(socket, { session, address });
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.on('pong', () => {
      session.alive = true;
    });
    socket.once('close', () => this.untrack(socket));
    this.#timer ??= setInterval(() => this.tick(), this.options.heartbeatIntervalMs);
  }

  get size(): number {
    return this.#connections.size;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  private untrack(socket: WebSocket): void {
    const tracked = this.#connections.get(socket);
    if (!tracked) return;
    this.#connections.delete(socket);
    const remaining = (this.#perAddress.get(tracked.address) ?? 1) - 1;
    if (remaining > 0) this.#perAddress.set(tracked.address, remaining);
    else this.#perAddress.delete(tracked.address);
    if (this.#connections.size === 0) this.stop();
  }

  private tick(): void {
    const now = performance.now();
    for (const [socket, { session }] of this.#connections) {
      if (!session.alive) {
        socket.terminate();
        continue;
      }
      if (!session.joined && now - session.connectedAt > this.options.joinTimeoutMs) {
        socket.close(CloseCode.JoinTimeout, 'no join in time');
        continue;
      }
      session.alive = false;
      socket.ping();
    }
  }
}
