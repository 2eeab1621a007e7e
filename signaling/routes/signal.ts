/**
 * GET /signal: the WebSocket endpoint. Before the upgrade it checks the Origin allow-list and the
 * per-address connection cap; after it, each socket is wired to a SignalingSession.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SIGNAL_PATH } from '../protocol.js';
import type { RoomRegistry } from '../rooms.js';
import { SignalingSession } from '../session.js';
import { ConnectionMonitor } from '../connection-monitor.js';
import type { ServerConfig } from '../config.js';

export interface SignalRouteOptions {
  config: ServerConfig;
  rooms: RoomRegistry<SignalingSession>;
}

/** Same origin as the request's host, or on the allow-list (or the list is `*`). */
function originAllowed(origin: string | undefined, host: string, allowed: readonly string[]): boolean {
  // Browsers always send Origin on a WebSocket upgrade; other clients can claim anything anyway.
  if (origin === undefined || allowed.includes('*')) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export async function signalRoute(app: FastifyInstance, { config, rooms }: SignalRouteOptions): Promise<void> {
  const monitor = new ConnectionMonitor(config);
  app.addHook('onClose', async () => monitor.stop());

  async function admit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!originAllowed(request.headers.origin, request.host, config.allowedOrigins)) {
      request.log.info({ origin: request.headers.origin }, 'refused a connection from an origin not on ALLOWED_ORIGINS');
      await reply.code(403).send({ error: 'origin-not-allowed', message: 'This page is not allowed to use this Parley server.' });
      return;
    }
    if (!monitor.admits(request.ip)) {
      request.log.warn({ ip: request.ip }, 'refused a connection over MAX_CONNECTIONS_PER_IP');
      await reply.code(429).send({ error: 'too-many-connections', message: 'Too many open connections from your address.' });
    }
  }

  app.get(SIGNAL_PATH, { websocket: true, preValidation: admit }, (socket, request) => {
    const session = new SignalingSession(socket, {
      rooms,
      iceServers: config.iceServers,
      maxFrameBytes: config.maxFrameBytes,
      rateLimitPerSecond: config.rateLimitPerSecond,
      rateLimitBurst: config.rateLimitBurst,
      rateLimitStrikes: config.rateLimitStrikes,
      log: request.log,
    });
    // Listeners are attached synchronously, before any frame can arrive.
    monitor.track(socket, session, request.ip);
    socket.on('message', (data, isBinary) => session.handleFrame(toBuffer(data), isBinary));
    socket.on('close', () => session.handleClose());
  });
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
