/**
 * GET /signal: the WebSocket endpoint. Before the upgrade it checks the Origin (the server's own,
 * or on ALLOWED_ORIGINS), the total and per-address connection caps; after it, each socket is wired to a SignalingSession that writes
 * through a SocketWriter, and to the connection registry, the heartbeat and the join timeout.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { HttpRefusal, SIGNAL_PATH } from '../../protocol/signaling.js';
import type { RoomRegistry } from '../rooms.js';
import { SERVER_FULL_RETRY_MS, SignalingSession, type SessionContext, type SessionSocket } from '../session.js';
import { handleSocketError } from '../socket-errors.js';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { Heartbeat } from '../connections/heartbeat.js';
import { JoinTimeout } from '../connections/join-timeout.js';
import { SocketWriter } from '../connections/socket-writer.js';
import { JoinRateLimit } from '../connections/join-rate-limit.js';
import { clientAddressKey } from '../client-address.js';
import type { ServerConfig } from '../config.js';

export interface SignalRouteOptions {
  config: ServerConfig;
  rooms: RoomRegistry<SignalingSession>;
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

/** Seconds a client refused over MAX_CONNECTIONS is asked to wait (Retry-After): as over MAX_ROOMS. */
const SERVER_FULL_RETRY_SECONDS = SERVER_FULL_RETRY_MS / 1000;

export async function signalRoute(app: FastifyInstance, { config, rooms }: SignalRouteOptions): Promise<void> {
  const connections = new ConnectionRegistry<WebSocket, SignalingSession>(config.maxConnectionsPerIp);
  const heartbeat = new Heartbeat(connections, { intervalMs: config.heartbeatIntervalMs });
  const joinTimeout = new JoinTimeout<SessionSocket>({ timeoutMs: config.joinTimeoutMs });
  const joinRateLimit = new JoinRateLimit({
    perAddressPerMinute: config.joinsPerMinutePerIp,
    perRoomPerMinute: config.joinsPerMinutePerRoom,
    roomBurst: 2 * config.roomCapacity,
  });
  app.addHook('onClose', async () => {
    heartbeat.stop();
    joinTimeout.stop();
    joinRateLimit.stop();
  });
  let warnedAboutUntrustedProxy = false;
  const context: SessionContext = {
    rooms,
    iceServers: config.iceServers,
    maxFrameBytes: config.maxFrameBytes,
    rateLimitPerSecond: config.rateLimitPerSecond,
    rateLimitBurst: config.rateLimitBurst,
    rateLimitStrikes: config.rateLimitStrikes,
    joinTimeout,
    maxRoomMembersPerIp: config.maxRoomMembersPerIp,
    joinRateLimit,
    log: app.log,
  };

  async function admit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!originAllowed(request.headers.origin, request.host, config.allowedOrigins)) {
      request.log.info({ origin: request.headers.origin, host: request.host }, 'refused a connection from an origin that is neither this server\'s nor on ALLOWED_ORIGINS');
      await refuse(reply, HttpRefusal.OriginNotAllowed);
      return;
    }
    if (config.trustProxy === false && !warnedAboutUntrustedProxy && request.headers['x-forwarded-for'] !== undefined && isLoopback(request.ip)) {
      warnedAboutUntrustedProxy = true;
      request.log.warn('connections arrive through a proxy on this machine but TRUST_PROXY is not set: every client counts as the proxy\'s address for the per-address limits');
    }
    if (connections.size >= config.maxConnections) {
      request.log.warn({ maxConnections: config.maxConnections }, 'refused a connection over MAX_CONNECTIONS');
      reply.header('Retry-After', String(SERVER_FULL_RETRY_SECONDS));
      await refuse(reply, HttpRefusal.ServerFull);
      return;
    }
    if (!connections.admits(clientAddressKey(request.ip))) {
      request.log.warn('refused a connection over MAX_CONNECTIONS_PER_IP');
      await refuse(reply, HttpRefusal.TooManyConnections);
    }
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

  app.get(SIGNAL_PATH, { websocket: true, preValidation: admit }, (socket, request) => {
    // The upgrade request's TCP socket is the one the WebSocket writes to.
    const writer = new SocketWriter(socket, request.raw.socket);
    const session = new SignalingSession(writer, context, request.id, clientAddressKey(request.ip));
    // Listeners are attached synchronously, before any frame can arrive.
    connections.add(socket, session);
    heartbeat.watch(socket);
    socket.on('message', onMessage);
    socket.on('close', onClose);
    releaseHttpExchange(socket, request, onError);
  });
}

/**
 * Lets the upgrade's HTTP request and response be garbage-collected; nothing needs them once the
 * socket is open. Two references would keep them (about 2.5 KB) for the connection's whole life:
 * @fastify/websocket's 'error' listener on the socket, a closure over request and reply, which
 * `onError` replaces; and the TCP socket's current-message slot, which still holds the response
 * the plugin assigned to it.
 */
function releaseHttpExchange(socket: WebSocket, request: FastifyRequest, onError: (this: WebSocket, error: Error) => void): void {
  socket.removeAllListeners('error');
  socket.on('error', onError);
  const tcp = request.raw.socket as Socket & { _httpMessage?: ServerResponse | null };
  tcp._httpMessage?.detachSocket(tcp);
}

async function refuse(reply: FastifyReply, { status, error, message }: HttpRefusal): Promise<void> {
  await reply.code(status).send({ error, message });
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
