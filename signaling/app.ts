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
import { IceServerIssuer } from './ice/ice-server-issuer.js';
import type { StunServer } from './stun/stun-server.js';
import { ServerCounters } from './metrics/server-counters.js';
import { metricsRegistry } from './metrics/prometheus.js';
import type { Registry } from 'prom-client';
import { MemoryRoomBus, type RoomBus } from './bus/room-bus.js';
import { RoomMirror } from './bus/room-mirror.js';
import type { MemberHandle } from './member-handle.js';

export interface BuildAppOptions extends Partial<ServerConfig> {
  /** Pino options (level, stream, …) or false; defaults to the configured log level. */
  logger?: FastifyServerOptions['logger'];
  /**
   * The built-in STUN server, already listening (server.ts starts it from STUN_PORT): listed in
   * `welcome` unless ICE servers are set, and closed with the app. Absent: no STUN of our own.
   */
  stunServer?: StunServer;
  /**
   * The room bus, already connected (server.ts connects one to REDIS_URL): rooms shared with other
   * instances, and closed with the app. Absent: this instance alone, in memory.
   */
  bus?: RoomBus;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The WebSocket side of the server: every open signaling connection is one of its clients. */
    signalingSockets: WebSocketServer;
    /** What connections are handed as ICE servers, and how many TURN credentials went out. */
    iceServerIssuer: IceServerIssuer;
    /** The built-in STUN server, when it runs (its counters). */
    stunServer: StunServer | undefined;
    /** The server's figures for Prometheus; server.ts serves them on METRICS_HOST:METRICS_PORT. */
    metrics: Registry;
    /** The room bus: in memory, or shared with other instances (REDIS_URL). */
    roomBus: RoomBus;
  }
}

export async function buildApp(options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { logger, stunServer, bus = new MemoryRoomBus(), ...overrides } = options;
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

  // Shared rooms are admitted by the bus, for every instance at once: the local registry then only
  // mirrors them, and its own caps would count members of other instances it has not heard leave yet.
  const rooms = bus.shared ? new RoomRegistry<MemberHandle>(Number.MAX_SAFE_INTEGER) : new RoomRegistry<MemberHandle>(config.roomCapacity, config.maxRooms);
  const mirror = bus.shared ? new RoomMirror(rooms, bus) : undefined;
  app.decorate('roomBus', bus);
  app.addHook('onClose', async () => bus.close());

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
  const iceServers = new IceServerIssuer({
    staticServers: config.iceServers,
    stunPort: stunServer?.port,
    turn: config.turnSecret === undefined || config.turnUrls.length === 0 ? undefined : { urls: config.turnUrls, secret: config.turnSecret, ttlSeconds: config.turnTtlSeconds },
  });
  app.decorate('iceServerIssuer', iceServers);
  app.decorate('stunServer', stunServer);
  if (stunServer) app.addHook('onClose', async () => stunServer.close());
  const counters = new ServerCounters();
  app.decorate(
    'metrics',
    metricsRegistry({ counters, rooms, localMembers: () => mirror?.localMemberCount ?? rooms.memberCount, sockets: webSocketServer, iceServers, stun: stunServer, bus }),
  );
  await app.register(signalRoute, {
    config,
    rooms,
    webSocketServer,
    iceServers,
    counters,
    ...(mirror ? { shared: { bus, mirror, limits: { capacity: config.roomCapacity, maxPerAddress: config.maxRoomMembersPerIp, maxRooms: config.maxRooms } } } : {}),
  });
  // Pages get security headers (the WebSocket upgrade never passes through Fastify's routes).
  await app.register(async (pages) => {
    await pages.register(fastifyHelmet, securityHeaderOptions(config.webRoot));
    await pages.register(healthRoute, { bus });
    await pages.register(webAppRoute, { webRoot: config.webRoot });
  });
  return app;
}
