/**
 * GET /healthz: the process is up and serving. It says nothing an outsider should not know (how
 * many rooms or people there are is on /metrics, on the operator's own address).
 * GET /readyz: this instance can take members: its room bus is connected (always, in memory).
 */
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION } from '../../protocol/signaling.js';
import type { RoomBus } from '../bus/room-bus.js';

export async function healthRoute(app: FastifyInstance, { bus }: { bus: RoomBus }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok', protocol: PROTOCOL_VERSION }));
  app.get('/readyz', async (_request, reply) => {
    if (bus.ready) return { status: 'ready' };
    return reply.code(503).header('retry-after', '2').send({ status: 'not-ready', reason: 'The room bus (Redis) cannot be reached.' });
  });
}
