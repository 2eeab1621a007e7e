/** GET /signal: the WebSocket endpoint. Wires each socket to a SignalingSession. */
import type { FastifyInstance } from 'fastify';
import { SIGNAL_PATH } from '../protocol.js';
import type { RoomRegistry } from '../rooms.js';
import { SignalingSession } from '../session.js';
import { Heartbeat } from '../heartbeat.js';
import type { ServerConfig } from '../config.js';

export interface SignalRouteOptions {
  config: ServerConfig;
  rooms: RoomRegistry<SignalingSession>;
}

export async function signalRoute(app: FastifyInstance, { config, rooms }: SignalRouteOptions): Promise<void> {
  const heartbeat = new Heartbeat(config.heartbeatIntervalMs);
  app.addHook('onClose', async () => heartbeat.stop());

  app.get(SIGNAL_PATH, { websocket: true }, (socket, request) => {
    const session = new SignalingSession(socket, {
      rooms,
      iceServers: config.iceServers,
      maxFrameBytes: config.maxFrameBytes,
      log: request.log,
    });
    // Listeners are attached synchronously, before any frame can arrive.
    heartbeat.track(socket);
    socket.on('message', (data, isBinary) => session.handleFrame(toBuffer(data), isBinary));
    socket.on('close', () => session.handleClose());
    socket.on('error', (error) => request.log.warn({ err: error, peer: session.id }, 'websocket error'));
  });
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
