// Starts the real signaling server (buildApp + listen) on a random loopback port.
import type { FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import { buildApp, type BuildAppOptions } from '../../signaling/app.js';

export interface RunningServer {
  app: FastifyInstance;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** ws://127.0.0.1:<port>/signal */
  signalUrl: string;
  close(): Promise<void>;
}

export const BUILT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export async function startServer(options: BuildAppOptions = {}): Promise<RunningServer> {
  const app = await buildApp({ logger: false, webRoot: BUILT_WEB_ROOT, ...options });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  const origin = `http://127.0.0.1:${address.port}`;
  let closed = false;
  return {
    app,
    port: address.port,
    origin,
    signalUrl: `ws://127.0.0.1:${address.port}/signal`,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
