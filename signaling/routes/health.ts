/**
 * GET /healthz: the process is up and serving. It says nothing an outsider should not know (how
 * many rooms or people there are is on /metrics, on the operator's own address).
 */
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION } from '../../protocol/signaling.js';

export async function healthRoute(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok', protocol: PROTOCOL_VERSION }));
}
