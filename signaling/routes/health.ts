/** GET /healthz: liveness and a few gauges for the operator's monitoring. */
import type { FastifyInstance } from 'fastify';
import type { RoomRegistry } from '../rooms.js';
import { PROTOCOL_VERSION } from '../../protocol/signaling.js';

export async function healthRoute(app: FastifyInstance, { rooms }: { rooms: RoomRegistry<unknown> }): Promise<void> {
  const startedAt = Date.now();
  app.get('/healthz', async () => ({
    status: 'ok',
    protocol: PROTOCOL_VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    rooms: rooms.roomCount,
    peers: rooms.memberCount,
    /** Open WebSocket connections, joined or not. */
    connections: app.signalingSockets.clients.size,
  }));
}
