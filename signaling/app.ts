/**
 * buildApp(config): a ready Fastify instance with every route registered, not listening. The entry
 * point (server.ts) listens; tests call buildApp() and listen on a random port.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import fastifyHelmet from '@fastify/helmet';
import { DEFAULT_CONFIG, type ServerConfig, type TrustProxy } from './config.js';
import { RoomRegistry } from './rooms.js';
import type { SignalingSession } from './session.js';
import { healthRoute } from './routes/health.js';
import { signalRoute } from './routes/signal.js';
import { webAppRoute } from './routes/web-app.js';
import { securityHeaderOptions } from './routes/security-headers.js';
import { WebSocketShutdown } from './websocket-shutdown.js';
import { handleSocketError } from './socket-errors.js';
import { QuietRequestLog } from './request-log.js';

export interface BuildAppOptions extends Partial<ServerConfig> {
  /** Pino options (level, stream, …) or false; defaults to the configured log level. */
  logger?: FastifyServerOptions['logger'];
}

/** Fastify's trustProxy for the setting: a count of proxies is the hops nearest the server. */
function trustedHops(setting: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  return (_address, hop) => hop < setting;
}

export async function buildApp(options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { logger, ...overrides } = options;
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...overrides };
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    trustProxy: trustedHops(config.trustProxy),
    logController: new QuietRequestLog(),
    http: {
      // A connection that dribbles its request headers (or sends none) holds a socket and its
      // buffers; Node's default waits a minute, and checks only every 30 s.
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
  });

  const rooms = new RoomRegistry<SignalingSession>(config.roomCapacity, config.maxRooms);

  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: config.hardFrameLimitBytes,
      // Signaling frames are small and latency-sensitive; compression costs more than it saves.
      perMessageDeflate: false,
    },
    // Errors on a socket before the route took it over, and errors thrown by the route.
    errorHandler(error, socket, request) {
      handleSocketError(error, socket, request.log);
    },
    preClose(done) {
      webSocketShutdown.begin();
      done();
    },
  });
  const webSocketShutdown = new WebSocketShutdown(app.server, app.websocketServer);
  await app.register(signalRoute, { config, rooms });
  // Pages get security headers; the WebSocket upgrade, outside this scope, pays for no hooks.
  await app.register(async (pages) => {
    await pages.register(fastifyHelmet, securityHeaderOptions(config.webRoot));
    await pages.register(healthRoute, { rooms });
    await pages.register(webAppRoute, { webRoot: config.webRoot });
  });
  return app;
}
