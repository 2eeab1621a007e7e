/**
 * What to do with an error on an established WebSocket. A client that breaks the WebSocket
 * protocol (invalid UTF-8, an over-large frame) has already been closed by ws with the matching
 * code (1007, 1009); that is the client's fault, not a server error. Anything else is logged and
 * the socket dropped.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';

export function handleSocketError(error: Error, socket: WebSocket, log: FastifyBaseLogger): void {
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
    log.debug({ code }, 'client broke the WebSocket protocol');
    return;
  }
  log.error({ err: error }, 'websocket error');
  socket.terminate();
}
