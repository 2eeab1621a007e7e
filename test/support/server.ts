// Starts the real signaling server (buildApp + listen) on a random loopback port.
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
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

const SLOW_CLOSE_MS = 10_000;

export const BUILT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * Every test client connects from 127.0.0.1, standing in for many people on many networks: the
 * per-address join limits would count them all as one visitor. Tests of those limits set them
 * (readme-settings.test.ts, edge-attacks.test.ts); every other setting keeps its default.
 */
export const LOOPBACK_STANDS_FOR_MANY = { joinsPerMinutePerIp: 100_000, maxRoomMembersPerIp: 256 } as const;

/** `addRoutes` may add routes of its own (the bench's pages) before the server listens. */
export async function startServer(
  options: BuildAppOptions = {},
  addRoutes: (app: FastifyInstance) => void = () => undefined,
): Promise<RunningServer> {
  const app = await buildApp({ logger: false, webRoot: BUILT_WEB_ROOT, ...LOOPBACK_STANDS_FOR_MANY, ...options });
  addRoutes(app);
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  const origin = `http://127.0.0.1:${address.port}`;
  let closed = false;
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    app,
    port: address.port,
    origin,
    signalUrl: `ws://127.0.0.1:${address.port}/signal`,
    async close() {
      if (closed) return;
      closed = true;
      // If close() hangs, say which connections hold it up before the hook times out.
      const report = setTimeout(() => {
        const open = [...sockets].map((socket) => `:${socket.remotePort} read ${socket.bytesRead} B, wrote ${socket.bytesWritten} B`);
        console.warn(`[server] close() still waiting after ${SLOW_CLOSE_MS} ms for: ${open.join('; ') || 'no connections'}`);
      }, SLOW_CLOSE_MS);
      await app.close().finally(() => clearTimeout(report));
    },
  };
}
