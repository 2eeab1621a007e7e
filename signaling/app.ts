/**
 * buildApp(config): a ready Fastify instance with every route registered, not listening. The entry
 * point (server.ts) listens; tests call buildApp() and listen on a random port.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { DEFAULT_CONFIG, type ServerConfig } from './config.js';
import { RoomRegistry } from './rooms.js';
import type { SignalingSession } from './session.js';
import { healthRoute } from './routes/health.js';
import { signalRoute } from './routes/signal.js';
import { webAppRoute } from './routes/web-app.js';
import { WebSocketShutdown } from './websocket-shutdown.js';
import { handleSocketError } from './socket-errors.js';

export interface BuildAppOptions extends Partial<ServerConfig> {
  /** Pino options (level, stream, …) or false; defaults to the configured log level. */
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { logger, ...overrides } = options;
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...overrides };
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    trustProxy: config.trustProxy,
  });

  const rooms = new RoomRegistry<SignalingSession>(config.roomCapacity);

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
  await app.register(healthRoute, { rooms });
  await app.register(signalRoute, { config, rooms });
  await app.register(webAppRoute, { webRoot: config.webRoot });
  return app;
}
