/**
 * Drops dead sockets. One interval for all sockets (not a timer per socket): each tick, a socket
 * that has not answered the previous ping is terminated, and every other socket is pinged again.
 * A peer whose network vanished is therefore gone within two intervals.
 */
import type { WebSocket } from 'ws';

export class Heartbeat {
  /** true = answered since the last ping. */
  readonly #alive = new Map<WebSocket, boolean>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly intervalMs: number) {}

  track(socket: WebSocket): void {
    this.#alive.set(socket, true);
    socket.on('pong', () => {
      if (this.#alive.has(socket)) this.#alive.set(socket, true);
    });
    socket.once('close', () => this.#alive.delete(socket));
    this.#timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    for (const [socket, alive] of this.#alive) {
      if (!alive) {
        this.#alive.delete(socket);
        socket.terminate();
        continue;
      }
      this.#alive.set(socket, false);
      socket.ping();
    }
    if (this.#alive.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get size(): number {
    return this.#alive.size;
  }
}
