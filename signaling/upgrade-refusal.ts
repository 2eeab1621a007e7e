/**
 * Answering an upgrade request that will not become a WebSocket: an HTTP response written on the
 * raw socket (no Fastify reply exists for an upgrade), then the socket is closed. The body is the
 * JSON the refusal names, as every other error of the server is.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpRefusal } from '../protocol/signaling.js';

/** Writes the response (with a JSON body, or none) and closes the socket once it is sent. */
export function refuseUpgrade(socket: Duplex, refusal: HttpRefusal, headers: Record<string, string> = {}, withBody = true): void {
  const body = withBody ? JSON.stringify({ error: refusal.error, message: refusal.message }) : '';
  const lines = [`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`, 'Connection: close'];
  if (withBody) lines.push('Content-Type: application/json; charset=utf-8');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  closeAfter(socket, `${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** Sends what is queued (and `last`, if given), then closes the socket without waiting for the peer. */
function closeAfter(socket: Duplex, last?: string): void {
  if (socket.destroyed) return;
  socket.once('finish', () => socket.destroy());
  socket.end(last);
}
