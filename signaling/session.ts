/**
 * One client's signaling session: its peer id, the room it joined, its rate limit, and what each
 * inbound frame does (join, relay, leave, fresh ICE servers). It knows members by id only: names travel between the
 * peers, and signal payloads are sealed blobs it forwards as they came. Knows nothing of Fastify or of sockets' upkeep
 * (connections/ does that); the route hands it something to write frames to.
 */
import * as crypto from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { decodeClientMessage } from './decode-client-message.js';
import {
  ClientMessageType,
  CloseCode,
  ErrorCode,
  LeaveReason,
  PROTOCOL_VERSION,
  ServerMessageType,
  signalDeliveryFrame,
  type ClientMessage,
  type ErrorMessage,
  type IceServersMessage,
  type JoinMessage,
  type Member,
  type PeerJoinedMessage,
  type PeerLeftMessage,
  type ServerMessage,
  type SignalRequest,
  type WelcomeMessage,
} from '../protocol/signaling.js';
import { PEER_ID_LENGTH, peerIdHashInput, sessionCommitHashInput } from '../protocol/ids.js';
import { RoomFullError, TooManyRoomsError, type RoomMember, type RoomRegistry } from './rooms.js';
import type { IssuedIceServers } from './ice/ice-server-issuer.js';
import type { RateVerdict } from './connections/paired-rate-limit.js';
import type { ServerCounters } from './metrics/server-counters.js';
import type { MemberHandle } from './member-handle.js';
import type { Admission, AdmissionLimits, RoomBus } from './bus/room-bus.js';
import { broadcastLocally, type RoomMirror } from './bus/room-mirror.js';
import type { JoinVerdict } from './connections/join-rate-limit.js';
import { TokenBucket } from './token-bucket.js';

/**
 * What a session writes to: its connection's frames and its close. The server gives it a
 * SocketWriter (connections/socket-writer.ts); tests give it a fake.
 */
export interface SessionSocket {
  send(frame: string): void;
  close(code: number, reason: string): void;
}

/** The join timeout as a session sees it (connections/join-timeout.ts). */
export interface JoinDeadlines {
  /** The connection is in no room from now on: it must join one within the join timeout. */
  expectJoin(socket: SessionSocket): void;
  /** The connection is in a room, or gone: it has no deadline. */
  cancel(socket: SessionSocket): void;
}

/** What every session of a server shares (one object, not a copy per connection). */
export interface SessionContext {
  rooms: RoomRegistry<MemberHandle>;
  /**
   * Rooms shared with other instances (REDIS_URL): joins are admitted by the bus, and members
   * elsewhere stand in `rooms` as RemoteMembers. Absent: one instance, admitted locally.
   */
  shared?: { bus: RoomBus; mirror: RoomMirror; limits: AdmissionLimits };
  /** The ICE servers (and TURN credentials) each joined connection is handed (ice/ice-server-issuer.ts). */
  iceServers: { issue(browserHost: string, peerId: string): IssuedIceServers };
  /** How often a connection, and an address, may ask for fresh ICE servers (per request id, per address key). */
  iceRefreshLimit: { admit(connectionKey: string, addressKey: string): RateVerdict<string> };
  maxFrameBytes: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  rateLimitStrikes: number;
  /** Told whenever a connection is in no room: when it connects, and when it leaves its room. */
  joinTimeout: JoinDeadlines;
  /** Most members one client address (an IPv6 /64) may have in one room. */
  maxRoomMembersPerIp: number;
  /** Whether a join from this address into this room may happen now (connections/join-rate-limit.ts). */
  joinRateLimit: { admit(addressKey: string, roomId: string): JoinVerdict };
  /** The server's logger; a session adds its request id to each line rather than keep a child logger. */
  log: FastifyBaseLogger;
  /** What the server counts for /metrics. */
  counters: ServerCounters;
}

/**
 * SHA-256 in base64url. Node's one-shot hash (20.12 and later) costs a third of a Hash object;
 * both run twice on every join.
 */
const sha256 = (text: string): string => (typeof crypto.hash === 'function' ? crypto.hash('sha256', text, 'base64url') : crypto.createHash('sha256').update(text).digest('base64url'));

/** The peer id for a session secret and key digest in a room (see PEER_ID_CONTEXT in the protocol). */
export function derivePeerId(roomId: string, keyDigest: string, sessionSecret: string): string {
  const commit = sha256(sessionCommitHashInput(sessionSecret));
  return sha256(peerIdHashInput(roomId, keyDigest, commit)).slice(0, PEER_ID_LENGTH);
}

/** How long a client is asked to wait when the server holds as many rooms as it allows. */
export const SERVER_FULL_RETRY_MS = 60_000;

export class SignalingSession implements MemberHandle {
  readonly remote = false;
  #id: string | undefined;
  #roomId: string | undefined;
  #member: RoomMember<MemberHandle> | undefined;
  /** A join is being admitted by the shared bus (frames meanwhile are refused as before a join). */
  #admitting = false;
  #closed = false;
  readonly #bucket: TokenBucket;
  /** Frames refused in a row for exceeding the rate limit. */
  #strikes = 0;

  constructor(
    readonly socket: SessionSocket,
    private readonly context: SessionContext,
    /** The id of the upgrade request, as in the server's request log lines. */
    readonly requestId: string,
    /**
     * The key the client's address is counted under (signaling/client-address.ts): behind a
     * trusted proxy the forwarded address, and an IPv6 address as its /64.
     */
    readonly address: string,
    /** The host the page addressed (Host, or a trusted proxy's X-Forwarded-Host): where its STUN is. */
    readonly browserHost: string,
  ) {
    this.#bucket = new TokenBucket(context.rateLimitPerSecond, context.rateLimitBurst);
    context.joinTimeout.expectJoin(socket);
  }

  /** The peer id, once joined. */
  get id(): string | undefined {
    return this.#id;
  }

  get roomId(): string | undefined {
    return this.#roomId;
  }

  /** Handles one inbound WebSocket frame. Never throws. */
  handleFrame(data: Buffer, isBinary: boolean): void {
    if (!this.#bucket.take()) {
      this.#strikes += 1;
      if (this.#strikes >= this.context.rateLimitStrikes) {
        this.context.log.warn({ reqId: this.requestId, peer: this.#id }, 'closing a connection that keeps exceeding the rate limit');
        this.socket.close(CloseCode.RateLimited, 'rate limit exceeded');
        return;
      }
      this.sendError(ErrorCode.RateLimited, `Too many messages: at most ${this.context.rateLimitPerSecond} per second. This one was dropped.`);
      return;
    }
    this.#strikes = 0;
    if (isBinary) {
      this.sendError(ErrorCode.BadJson, 'Binary frames are not accepted; send JSON text.');
      return;
    }
    if (data.length > this.context.maxFrameBytes) {
      this.sendError(ErrorCode.FrameTooLarge, `Frames are limited to ${this.context.maxFrameBytes} bytes; this one had ${data.length}.`);
      return;
    }
    const decoded = decodeClientMessage(data.toString('utf8'));
    if (!decoded.ok) {
      this.sendError(decoded.code, decoded.message, decoded.ref);
      // Another protocol version cannot be talked round: the client is told to stop (and reload).
      if (decoded.code === ErrorCode.UnsupportedVersion) this.socket.close(CloseCode.UnsupportedVersion, 'unsupported protocol version');
      return;
    }
    try {
      this.dispatch(decoded.message, decoded.rawData);
    } catch (error) {
      this.context.log.error({ reqId: this.requestId, err: error, peer: this.#id, type: decoded.message.type }, 'signaling handler failed');
      this.sendError(ErrorCode.Internal, 'The server could not handle this message.', decoded.message.type);
    }
  }

  /** Called once when the socket is gone, whatever the reason: the room is told. */
  handleClose(): void {
    this.#closed = true;
    this.leaveRoom(LeaveReason.Lost);
    this.context.joinTimeout.cancel(this.socket);
  }

  /**
   * The same participant joined again on a newer connection (a reload, or a reconnect before the
   * server noticed this one had died): give up the place silently and close this socket.
   */
  replacedByNewerConnection(): void {
    this.#roomId = undefined;
    this.#member = undefined;
    this.socket.close(CloseCode.Replaced, 'replaced by a newer connection');
  }

  private dispatch(message: ClientMessage, rawData: string | undefined): void {
    switch (message.type) {
      case ClientMessageType.Join:
        return this.join(message);
      case ClientMessageType.Signal:
        return this.relaySignal(message, rawData);
      case ClientMessageType.RefreshIceServers:
        return this.refreshIceServers();
      case ClientMessageType.Leave:
        if (!this.#roomId) return this.sendError(ErrorCode.NotJoined, 'Join a room before leaving it.', message.type);
        this.leaveRoom(LeaveReason.Left);
        // The socket may stay open to join again, but not roomless forever.
        return this.context.joinTimeout.expectJoin(this.socket);
      default: {
        const unhandled: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private join(message: JoinMessage): void {
    if (this.#roomId || this.#admitting) {
      this.sendError(ErrorCode.AlreadyJoined, 'This connection is already in a room; leave it first.', message.type);
      return;
    }
    const verdict = this.context.joinRateLimit.admit(this.address, message.room);
    if (!verdict.allowed) {
      const what = verdict.scope === 'address' ? 'from your address' : 'into this room';
      this.context.log.debug({ reqId: this.requestId, scope: verdict.scope }, 'refused a join over the join rate limit');
      this.refuseJoinForNow(ErrorCode.JoinRateLimited, `Too many joins ${what} in the last minute.`, verdict.retryAfterMs);
      return;
    }
    const id = derivePeerId(message.room, message.key, message.session);
    if (this.context.shared) {
      this.joinShared(message, id, this.context.shared);
      return;
    }
    // One address may not take every place in a room (its own earlier connection, replaced
    // below, does not count).
    const fromHere = this.context.rooms.countOthers(message.room, id, (member) => member.handle.address === this.address);
    if (fromHere >= this.context.maxRoomMembersPerIp) {
      this.sendError(
        ErrorCode.RoomFull,
        `This room already has ${fromHere} people connecting from your network, the most this server allows from one address.`,
        message.type,
      );
      this.socket.close(CloseCode.RoomFull, 'room full');
      return;
    }
    const previous = this.context.rooms.get(message.room, id);
    if (previous) {
      // Same secret, same room: the same participant is back. The others keep their direct
      // connections if those still work; peer-joined below tells them it is here again.
      this.context.rooms.leave(message.room, id);
      previous.handle.replacedByNewerConnection();
    }
    const member: RoomMember<MemberHandle> = { id, handle: this };
    let existing: RoomMember<MemberHandle>[];
    try {
      existing = this.context.rooms.join(message.room, member);
    } catch (error) {
      if (error instanceof TooManyRoomsError) {
        this.context.log.warn({ reqId: this.requestId, maxRooms: error.maxRooms }, 'refused a join over MAX_ROOMS');
        this.refuseJoinForNow(ErrorCode.ServerFull, error.message, SERVER_FULL_RETRY_MS);
        return;
      }
      if (!(error instanceof RoomFullError)) throw error;
      this.sendError(ErrorCode.RoomFull, error.message, message.type);
      this.socket.close(CloseCode.RoomFull, 'room full');
      return;
    }
    this.completeJoin(message.room, member, existing, previous !== undefined);
  }

  /** In the room: members here hear of the newcomer first, then it gets its welcome. */
  private completeJoin(roomId: string, member: RoomMember<MemberHandle>, existing: readonly RoomMember<MemberHandle>[], rejoined: boolean): void {
    const id = member.id;
    this.#id = id;
    this.#roomId = roomId;
    this.#member = member;
    this.context.joinTimeout.cancel(this.socket);
    this.context.counters.joins += 1;
    // Debug, not info: a line per join costs a busy server a third more CPU per join.
    this.context.log.debug({ reqId: this.requestId, peer: id, room: shortRoomId(roomId), members: existing.length + 1, rejoined }, 'peer joined room');

    // Members hear of the newcomer before the newcomer can signal them, so no signal arrives from
    // an id they do not know yet (each socket delivers in order; the bus keeps each instance's order).
    broadcastLocally(existing, JSON.stringify({ type: ServerMessageType.PeerJoined, peer: toMember(member) } satisfies PeerJoinedMessage));
    this.send({
      type: ServerMessageType.Welcome,
      v: PROTOCOL_VERSION,
      id,
      room: roomId,
      members: existing.map(toMember),
      ...this.context.iceServers.issue(this.browserHost, id),
    } satisfies WelcomeMessage);
  }

  /** A join when rooms are shared: the bus admits it (caps across instances), then as above. */
  private joinShared(message: JoinMessage, id: string, shared: NonNullable<SessionContext['shared']>): void {
    this.#admitting = true;
    shared.mirror.admitting(message.room);
    shared.bus.admit(message.room, id, this.address, shared.limits).then(
      (admission) => {
        this.#admitting = false;
        try {
          this.admittedShared(message, id, shared, admission);
        } finally {
          shared.mirror.admitted(message.room);
        }
      },
      (error: unknown) => {
        this.#admitting = false;
        shared.mirror.admitted(message.room);
        this.context.log.warn({ reqId: this.requestId, err: error }, 'the room bus could not admit a join');
        if (this.#closed) return;
        this.sendError(ErrorCode.Internal, 'The server cannot reach its room bus; try again in a moment.', ClientMessageType.Join);
        this.socket.close(CloseCode.BusUnavailable, 'room bus unavailable');
      },
    );
  }

  /** The bus's answer to a shared join. */
  private admittedShared(message: JoinMessage, id: string, shared: NonNullable<SessionContext['shared']>, admission: Admission): void {
    if (this.#closed) {
      // Gone while it was admitted: nobody was told of it, so the place is just given back.
      if (admission.kind === 'admitted') void shared.bus.release(message.room, id).catch(() => undefined);
      return;
    }
    switch (admission.kind) {
      case 'too-many-rooms':
        this.context.log.warn({ reqId: this.requestId, maxRooms: shared.limits.maxRooms }, 'refused a join over MAX_ROOMS');
        this.refuseJoinForNow(ErrorCode.ServerFull, new TooManyRoomsError(shared.limits.maxRooms).message, SERVER_FULL_RETRY_MS);
        return;
      case 'room-full':
      case 'address-full':
        this.sendError(
          ErrorCode.RoomFull,
          admission.kind === 'room-full'
            ? new RoomFullError(shared.limits.capacity).message
            : `This room already has ${admission.fromAddress} people connecting from your network, the most this server allows from one address.`,
          ClientMessageType.Join,
        );
        this.socket.close(CloseCode.RoomFull, 'room full');
        return;
      case 'admitted':
        break;
    }
    const previous = this.context.rooms.get(message.room, id);
    if (previous) {
      this.context.rooms.leave(message.room, id);
      if (!previous.handle.remote) shared.mirror.replacedHere(message.room);
      previous.handle.replacedByNewerConnection();
    } else if (admission.replacedOn !== undefined && admission.replacedOn !== shared.bus.instance) {
      shared.bus.send(admission.replacedOn, { type: 'replaced', room: message.room, id });
    }
    shared.mirror.prepare(message.room, admission.others);
    const member: RoomMember<MemberHandle> = { id, handle: this };
    const existing = this.context.rooms.join(message.room, member);
    shared.mirror.joined(message.room, id, admission.others);
    this.completeJoin(message.room, member, existing, admission.replacedOn !== undefined);
  }

  private relaySignal(message: SignalRequest, rawData: string | undefined): void {
    if (!this.#roomId) {
      this.sendError(ErrorCode.NotJoined, 'Join a room before sending signals.', message.type);
      return;
    }
    const target = message.to === this.#id ? undefined : this.context.rooms.get(this.#roomId, message.to);
    if (!target) {
      this.sendError(ErrorCode.UnknownPeer, 'No other member of your room has that id.', message.type);
      return;
    }
    // `from` is this socket's id; the client has no way to name another sender. The payload is
    // forwarded as the text it arrived in when possible: serialising it again would cost more
    // than everything else the relay does.
    if (rawData !== undefined) target.handle.sendRaw(signalDeliveryFrame(this.#id!, rawData));
    else target.handle.send({ type: ServerMessageType.Signal, from: this.#id!, data: message.data });
    this.context.counters.signalsRelayed += 1;
  }

  private leaveRoom(reason: LeaveReason): void {
    const roomId = this.#roomId;
    const id = this.#member?.id;
    if (!roomId || !id) return;
    this.#roomId = undefined;
    this.#member = undefined;
    const remaining = this.context.rooms.leave(roomId, id);
    broadcastLocally(remaining, JSON.stringify({ type: ServerMessageType.PeerLeft, id, reason } satisfies PeerLeftMessage));
    this.context.shared?.mirror.left(roomId, id, reason);
    this.context.log.debug({ reqId: this.requestId, peer: id, room: shortRoomId(roomId), members: remaining.length }, 'peer left room');
  }

  /** Fresh ICE servers for this member, as bounded credentials: at most a few per credential lifetime. */
  private refreshIceServers(): void {
    if (!this.#id) return this.sendError(ErrorCode.NotJoined, 'Join a room before asking for ICE servers.', ClientMessageType.RefreshIceServers);
    const verdict = this.context.iceRefreshLimit.admit(this.requestId, this.address);
    if (!verdict.allowed) {
      this.context.counters.errorSent(ErrorCode.IceRefreshLimited);
      this.send({
        type: ServerMessageType.Error,
        code: ErrorCode.IceRefreshLimited,
        message: `Fresh ICE servers were asked for too often (per ${verdict.scope}); the ones you have are still good.`,
        ref: ClientMessageType.RefreshIceServers,
        retryAfterMs: verdict.retryAfterMs,
      } satisfies ErrorMessage);
      return;
    }
    this.send({ type: ServerMessageType.IceServers, ...this.context.iceServers.issue(this.browserHost, this.#id) } satisfies IceServersMessage);
  }

  /** A join that may succeed later: say when, then close (4029) so the socket is not held meanwhile. */
  private refuseJoinForNow(code: ErrorCode, message: string, retryAfterMs: number): void {
    this.context.counters.errorSent(code);
    this.send({ type: ServerMessageType.Error, code, message, ref: ClientMessageType.Join, retryAfterMs } satisfies ErrorMessage);
    this.socket.close(CloseCode.TryLater, 'try again later');
  }

  send(message: ServerMessage): void {
    this.sendRaw(JSON.stringify(message));
  }

  sendRaw(frame: string): void {
    this.socket.send(frame);
  }

  private sendError(code: ErrorCode, message: string, ref?: string): void {
    this.context.counters.errorSent(code);
    const frame: ErrorMessage = { type: ServerMessageType.Error, code, message };
    if (ref !== undefined) frame.ref = ref;
    this.send(frame);
  }
}

function toMember(member: RoomMember<MemberHandle>): Member {
  return { id: member.id };
}

/** Enough of a room id to correlate log lines, too little to matter if logs leak. */
function shortRoomId(roomId: string): string {
  return roomId.slice(0, 8);
}
