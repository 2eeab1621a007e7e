/**
 * buildApp(config): a ready Fastify instance with every route registered, not listening. The entry
 * point (server.ts) listens; tests call buildApp() and listen on a random port.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { WebSocketServer } from 'ws';
import fastifyHelmet from '@fastify/helmet';
import { DEFAULT_CONFIG, type ServerConfig } from './config.js';
import { proxyTrust } from './proxy-trust.js';
import { RoomRegistry } from './rooms.js';
import type { SignalingSession } from './session.js';
import { healthRoute } from './routes/health.js';
import { signalRoute } from './routes/signal.js';
import { webAppRoute } from './routes/web-app.js';
import { securityHeaderOptions } from './routes/security-headers.js';
import { WebSocketShutdown } from './websocket-shutdown.js';
import { QuietRequestLog } from './request-log.js';

export interface BuildAppOptions extends Partial<ServerConfig> {
  /** Pino options (level, stream, …) or false; defaults to the configured log level. */
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The WebSocket side of the server: every open signaling connection is one of its clients. */
    signalingSockets: WebSocketServer;
  }
}

export async function buildApp(options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { logger, ...overrides } = options;
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...overrides };
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    trustProxy: proxyTrust(config.trustProxy),
    logController: new QuietRequestLog(),
    http: {
      // A connection that dribbles its request headers (or sends none) holds a socket and its
      // buffers; Node's default waits a minute, and checks only every 30 s.
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
  });

  const rooms = new RoomRegistry<SignalingSession>(config.roomCapacity, config.maxRooms);

  const webSocketServer = new WebSocketServer({
    noServer: true,
    maxPayload: config.hardFrameLimitBytes,
    // Signaling frames are small and latency-sensitive; compression costs more than it saves.
    perMessageDeflate: false,
  });
  app.decorate('signalingSockets', webSocketServer);
  const webSocketShutdown = new WebSocketShutdown(app.server, webSocketServer);
  app.addHook('preClose', (done) => {
    webSocketShutdown.begin();
    done();
  });
  await app.register(signalRoute, { config, rooms, webSocketServer });
  // Pages get security headers (the WebSocket upgrade never passes through Fastify's routes).
  await app.register(async (pages) => {
    await pages.register(fastifyHelmet, securityHeaderOptions(config.webRoot));
    await pages.register(healthRoute, { rooms });
    await pages.register(webAppRoute, { webRoot: config.webRoot });
  });
  return app;
}
