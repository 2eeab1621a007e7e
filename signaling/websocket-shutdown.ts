/**
 * Shuts down the WebSocket side of the server so that `app.close()` always finishes.
 *
 * The HTTP server hands a socket over on upgrade and never closes it again, and `close()` waits
 * for every socket. So at shutdown:
 * - open connections are told the server is going away (1001), so clients move to its successor;
 * - upgrade requests that arrive from then on, on connections accepted earlier, get a 503 and
 *   their socket is closed. Without this, nobody answers them, and `close()` waits forever.
 * No handshake is ever half done: the upgrade is admitted and completed within one 'upgrade' event
 * (routes/signal.ts).
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { CloseCode, HttpRefusal } from '../protocol/signaling.js';
import { refuseUpgrade } from './upgrade-refusal.js';

export class WebSocketShutdown {
  constructor(
    private readonly server: Server,
    private readonly webSocketServer: WebSocketServer,
  ) {}

  /** Called from the server's preClose hook, before it stops listening. */
  begin(): void {
    this.server.removeAllListeners('upgrade');
    this.server.on('upgrade', (_request, socket: Duplex) => refuseUpgrade(socket, HttpRefusal.ShuttingDown, {}, false));
    for (const client of this.webSocketServer.clients) client.close(CloseCode.GoingAway, 'server shutting down');
  }
}
