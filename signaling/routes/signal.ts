/**
 * GET /signal: the WebSocket endpoint, served on the HTTP server's 'upgrade' event straight to
 * `ws`, as PeerJS's server does, not through Fastify's request lifecycle: a Fastify request,
 * reply, routing and hooks per upgrade were a fifth of what a join cost (docs/performance.md).
 * Before the upgrade it checks the Origin (the server's own, or on ALLOWED_ORIGINS), the total and
 * per-address connection caps; after it, each socket is wired to a SignalingSession that writes
 * through a SocketWriter, and to the connection registry, the heartbeat and the join timeout.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { CloseCode, HttpRefusal, ORIGIN_CHECK_PATH, SIGNAL_PATH, type OriginCheck } from '../../protocol/signaling.js';
import type { RoomRegistry } from '../rooms.js';
import type { MemberHandle } from '../member-handle.js';
import { SERVER_FULL_RETRY_MS, SignalingSession, type SessionContext, type SessionSocket } from '../session.js';
import { handleSocketError } from '../socket-errors.js';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { Heartbeat } from '../connections/heartbeat.js';
import { JoinTimeout } from '../connections/join-timeout.js';
import { SocketWriter } from '../connections/socket-writer.js';
import { JoinRateLimit } from '../connections/join-rate-limit.js';
import { clientAddressKey } from '../client-address.js';
import { forwardedClient, proxyTrust } from '../proxy-trust.js';
import { refuseUpgrade } from '../upgrade-refusal.js';
import type { ServerConfig } from '../config.js';
import type { IceServerIssuer } from '../ice/ice-server-issuer.js';
import { PairedRateLimit } from '../connections/paired-rate-limit.js';
import type { ServerCounters } from '../metrics/server-counters.js';

export interface SignalRouteOptions {
  config: ServerConfig;
  rooms: RoomRegistry<MemberHandle>;
  /** Rooms shared with other instances over a bus (REDIS_URL). */
  shared?: SessionContext['shared'];
  /** In noServer mode: this route hands it the upgrades it admits. */
  webSocketServer: WebSocketServer;
  iceServers: IceServerIssuer;
  counters: ServerCounters;
}

/**
 * The page's origin is the server's own (the host the browser addressed, which a trusted proxy
 * passes on), or on the allow-list, or the list is `*`.
 */
function originAllowed(origin: string | undefined, host: string, allowed: readonly string[]): boolean {
  // Browsers always send Origin on a WebSocket upgrade; other clients can claim anything anyway.
  if (origin === undefined || allowed.includes('*')) return true;
  if (allowed.includes(origin)) return true;
  // Browsers send an origin serialised (scheme://host[:port], lower case, no default port), and
  // "null" for opaque ones: the part after the scheme is the host, or it is not ours.
  const schemeEnd = origin.indexOf('://');
  return schemeEnd > 0 && origin.slice(schemeEnd + 3) === host.toLowerCase();
}

/** Seconds a client is asked to wait while this instance has no room bus. */
const BUS_RETRY_SECONDS = 2;

/** Seconds a client refused over MAX_CONNECTIONS is asked to wait (Retry-After): as over MAX_ROOMS. */
const SERVER_FULL_RETRY_SECONDS = SERVER_FULL_RETRY_MS / 1000;

/**
 * Fresh ICE servers a connection and an address may ask for. A client asks once per credential
 * lifetime; the burst covers a reconnect or two. An address may hold many connections (a shared
 * network), so it gets a minute's worth of asking at once.
 */
function iceRefreshLimit(ttlSeconds: number): PairedRateLimit<'connection', 'address'> {
  return new PairedRateLimit({ name: 'connection', perMinute: 4 * (60 / ttlSeconds), burst: 3 }, { name: 'address', perMinute: 60, burst: 60 });
}

export async function signalRoute(app: FastifyInstance, { config, rooms, webSocketServer, iceServers, counters, shared }: SignalRouteOptions): Promise<void> {
  const connections = new ConnectionRegistry<WebSocket, SignalingSession>(config.maxConnectionsPerIp);
  const heartbeat = new Heartbeat(connections, { intervalMs: config.heartbeatIntervalMs });
  const joinTimeout = new JoinTimeout<SessionSocket>({ timeoutMs: config.joinTimeoutMs });
  const joinRateLimit = new JoinRateLimit({
    perAddressPerMinute: config.joinsPerMinutePerIp,
    perRoomPerMinute: config.joinsPerMinutePerRoom,
    roomBurst: 2 * config.roomCapacity,
  });
  const refreshLimit = iceRefreshLimit(config.turnTtlSeconds);
  app.addHook('onClose', async () => {
    heartbeat.stop();
    joinTimeout.stop();
    joinRateLimit.stop();
    refreshLimit.stop();
  });
  const trust = proxyTrust(config.trustProxy);
  let warnedAboutUntrustedProxy = false;
  /** Request ids for upgrades, as Fastify numbers its requests (`req-1`, …) but apart from them. */
  let upgradeCount = 0;
  const context: SessionContext = {
    rooms,
    iceServers,
    iceRefreshLimit: refreshLimit,
    maxFrameBytes: config.maxFrameBytes,
    rateLimitPerSecond: config.rateLimitPerSecond,
    rateLimitBurst: config.rateLimitBurst,
    rateLimitStrikes: config.rateLimitStrikes,
    joinTimeout,
    maxRoomMembersPerIp: config.maxRoomMembersPerIp,
    joinRateLimit,
    log: app.log,
    counters,
    ...(shared ? { shared } : {}),
  };
  // The bus went away: every member here is told (4030) and comes back when it is; the stand-ins
  // for members elsewhere are forgotten (the bus is rebuilt by those rejoins).
  shared?.bus.onReadyChange((ready) => {
    if (ready) return;
    shared.mirror.clear();
    for (const socket of [...connections.sockets()]) socket.close(CloseCode.BusUnavailable, 'room bus unavailable');
  });

  /** Why this upgrade may not become a connection, or undefined if it may. */
  function refusalOf(request: IncomingMessage, requestId: string, ip: string, addressKey: string, host: string): HttpRefusal | undefined {
    const origin = request.headers.origin;
    if (!originAllowed(origin, host, config.allowedOrigins)) {
      app.log.info({ reqId: requestId, origin, host }, 'refused a connection from an origin that is neither this server\'s nor on ALLOWED_ORIGINS');
      return HttpRefusal.OriginNotAllowed;
    }
    if (trust === false && !warnedAboutUntrustedProxy && request.headers['x-forwarded-for'] !== undefined && isLoopback(ip)) {
      warnedAboutUntrustedProxy = true;
      app.log.warn({ reqId: requestId }, 'connections arrive through a proxy on this machine but TRUST_PROXY is not set: every client counts as the proxy\'s address for the per-address limits');
    }
    if (shared && !shared.bus.ready) return HttpRefusal.NotReady;
    if (connections.size >= config.maxConnections) {
      app.log.warn({ reqId: requestId, maxConnections: config.maxConnections }, 'refused a connection over MAX_CONNECTIONS');
      return HttpRefusal.ServerFull;
    }
    if (!connections.admits(addressKey)) {
      app.log.warn({ reqId: requestId }, 'refused a connection over MAX_CONNECTIONS_PER_IP');
      return HttpRefusal.TooManyConnections;
    }
    return undefined;
  }

  // One listener of each kind shared by every socket (`this` is the socket), not closures per
  // socket: an idle server's memory is mostly its connections.
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    connections.sessionOf(this)?.handleFrame(toBuffer(data), isBinary);
  }
  function onClose(this: WebSocket): void {
    const session = connections.remove(this);
    heartbeat.forget(this);
    session?.handleClose();
  }
  function onError(this: WebSocket, error: Error): void {
    const session = connections.sessionOf(this);
    handleSocketError(error, this, session ? app.log.child({ reqId: session.requestId }) : app.log);
  }
  /** Node removes its own error listener before 'upgrade'; until ws takes the socket, this one guards it. */
  function onHandshakeError(this: Duplex): void {
    this.destroy();
  }

  function onUpgrade(request: IncomingMessage, tcp: Duplex, head: Buffer): void {
    tcp.on('error', onHandshakeError);
    const requestId = `ws-${(upgradeCount += 1).toString(36)}`;
    const url = request.url ?? '';
    app.log.debug({ reqId: requestId, url }, 'websocket upgrade');
    const query = url.indexOf('?');
    if ((query === -1 ? url : url.slice(0, query)) !== SIGNAL_PATH) {
      serveAsHttp(app, request, tcp);
      return;
    }
    const { ip, host } = forwardedClient(request, trust);
    const addressKey = clientAddressKey(ip);
    const refusal = refusalOf(request, requestId, ip, addressKey, host);
    if (refusal) {
      counters.upgradeRefused(refusal.error);
      const retryAfter = refusal === HttpRefusal.ServerFull ? SERVER_FULL_RETRY_SECONDS : refusal === HttpRefusal.NotReady ? BUS_RETRY_SECONDS : undefined;
      refuseUpgrade(tcp, refusal, retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) });
      return;
    }
    // ws guards the socket with its own error listener from here on.
    webSocketServer.handleUpgrade(request, tcp, head, (socket) => {
      tcp.removeListener('error', onHandshakeError);
      accept(socket, tcp as Socket, requestId, addressKey, host);
      webSocketServer.emit('connection', socket, request);
    });
  }

  function accept(socket: WebSocket, tcp: Socket, requestId: string, addressKey: string, host: string): void {
    // The upgrade request's TCP socket is the one the WebSocket writes to.
    const session = new SignalingSession(new SocketWriter(socket, tcp), context, requestId, addressKey, host);
    // Listeners are attached synchronously, before any frame can arrive.
    connections.add(socket, session);
    heartbeat.watch(socket);
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.on('error', onError);
  }

  app.server.on('upgrade', onUpgrade);

  // The same decision as for an upgrade, for a page whose upgrade failed and that wants to know why.
  app.get(ORIGIN_CHECK_PATH, async (request, reply) => {
    const { host } = forwardedClient(request.raw, trust);
    const answer: OriginCheck = { allowed: originAllowed(request.headers.origin, host, config.allowedOrigins) };
    return reply.header('access-control-allow-origin', '*').header('cache-control', 'no-store').send(answer);
  });
}

/**
 * A request to another path that asks to upgrade (to a WebSocket, or `h2c` as some clients ask on
 * any request): Fastify answers it as the plain request it also is, then the socket is closed,
 * since the HTTP server gave it up when it emitted 'upgrade'.
 */
function serveAsHttp(app: FastifyInstance, request: IncomingMessage, tcp: Duplex): void {
  const response = new ServerResponse(request);
  response.shouldKeepAlive = false;
  response.assignSocket(tcp as Socket);
  response.once('finish', () => tcp.destroy());
  app.routing(request, response);
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
