/**
 * Shuts down the WebSocket side of the server so that `app.close()` always finishes.
 *
 * The HTTP server hands a socket over on upgrade and never closes it again, and `close()` waits
 * for every socket. So at shutdown:
 * - open connections are told the server is going away (1001), so clients move to its successor;
 * - handshakes still under way (their route hooks are async) are closed, and ws refuses any that
 *   reach it later;
 * - upgrade requests that arrive from then on, on connections accepted earlier, get a 503 and
 *   their socket is closed. Without this, Fastify answers them with its closing 503 but leaves the
 *   socket open, and `close()` waits for it forever.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { CloseCode, HttpRefusal } from '../protocol/signaling.js';

const SERVICE_UNAVAILABLE = `HTTP/1.1 ${HttpRefusal.ShuttingDown.status} Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;

/** Sends what is queued (and `last`, if given), then closes the socket without waiting for the peer. */
function closeSocket(socket: Duplex, last?: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(last);
}

export class WebSocketShutdown {
  /** Sockets whose upgrade request arrived but that are not (yet) WebSocket connections. */
  readonly #handshaking = new Set<Duplex>();

  constructor(
    private readonly server: Server,
    private readonly webSocketServer: WebSocketServer,
  ) {
    // Prepended, so the socket is tracked before the router sees the request.
    server.prependListener('upgrade', (_request, socket: Duplex) => {
      this.#handshaking.add(socket);
      socket.once('close', () => this.#handshaking.delete(socket));
    });
    webSocketServer.on('connection', (_socket, request) => this.#handshaking.delete(request.socket));
  }

  /** Called from the server's preClose hook, before it stops listening. */
  begin(): void {
    this.server.removeAllListeners('upgrade');
    this.server.on('upgrade', (_request, socket: Duplex) => closeSocket(socket, SERVICE_UNAVAILABLE));
    for (const socket of this.#handshaking) closeSocket(socket);
    this.#handshaking.clear();
    // From now on ws answers a handshake that completes its route hooks with 503.
    this.webSocketServer.close();
    for (const client of this.webSocketServer.clients) client.close(CloseCode.GoingAway, 'server shutting down');
  }
}
