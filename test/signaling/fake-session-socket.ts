// Drives SignalingSession without a server: sockets that record the frames and closes they are
// given, in one order across all of them, and a context with a real room registry.
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { ClientMessageType, PROTOCOL_VERSION, type ClientMessage, type JoinMessage, type ServerMessage } from '../../protocol/signaling.js';
import { RoomRegistry } from '../../signaling/rooms.js';
import { IceServerIssuer } from '../../signaling/ice/ice-server-issuer.js';
import { ServerCounters } from '../../signaling/metrics/server-counters.js';
import { SignalingSession, type SessionContext, type SessionSocket } from '../../signaling/session.js';
import { newParticipant, type Participant } from '../support/participant.js';

/** One thing a fake socket was given: a frame, or a close. */
export type TranscriptEntry = { socket: string; frame: ServerMessage } | { socket: string; close: number };

export class FakeSessionSocket implements SessionSocket {
  /** The frames as sent, text for text. */
  readonly sent: string[] = [];
  readonly closes: number[] = [];

  constructor(
    readonly name: string,
    /** Shared by the sockets of a test, so it records one order across them. */
    private readonly transcript: TranscriptEntry[],
  ) {}

  send(frame: string): void {
    this.sent.push(frame);
    this.transcript.push({ socket: this.name, frame: JSON.parse(frame) as ServerMessage });
  }

  close(code: number): void {
    this.closes.push(code);
    this.transcript.push({ socket: this.name, close: code });
  }

  get frames(): ServerMessage[] {
    return this.sent.map((frame) => JSON.parse(frame) as ServerMessage);
  }

  /** The frames of one type received so far. */
  all<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.frames.filter((message) => message.type === type) as Extract<ServerMessage, { type: T }>[];
  }
}

const silentLog: FastifyBaseLogger = Fastify({ logger: false }).log;

/** A context as the route builds it, with generous limits and no join timeout or join rate limit unless given. */
export function sessionContext(overrides: Partial<SessionContext> = {}): SessionContext {
  return {
    rooms: new RoomRegistry<SignalingSession>(16),
    iceServers: new IceServerIssuer({ staticServers: [{ urls: 'stun:198.51.100.1:3478' }], stunPort: undefined, turn: undefined }),
    iceRefreshLimit: { admit: () => ({ allowed: true }) },
    maxFrameBytes: 64 * 1024,
    rateLimitPerSecond: 1000,
    rateLimitBurst: 1000,
    rateLimitStrikes: 50,
    joinTimeout: { expectJoin: () => undefined, cancel: () => undefined },
    maxRoomMembersPerIp: 256,
    joinRateLimit: { admit: () => ({ allowed: true }) },
    log: silentLog,
    counters: new ServerCounters(),
    ...overrides,
  };
}

/** A session and its socket, as the route would make them for one connection. */
export class FakeConnection {
  readonly socket: FakeSessionSocket;
  readonly session: SignalingSession;

  constructor(name: string, context: SessionContext, transcript: TranscriptEntry[]) {
    this.socket = new FakeSessionSocket(name, transcript);
    this.session = new SignalingSession(this.socket, context, `req-${name}`, '198.51.100.7', 'parley.test');
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.sendRaw(JSON.stringify(message));
  }

  sendRaw(frame: string | Buffer, isBinary = false): void {
    this.session.handleFrame(typeof frame === 'string' ? Buffer.from(frame) : frame, isBinary);
  }

  /** Sends a join with this protocol's version; returns the peer id it got, if welcomed. */
  join(room: string, participant: Participant = newParticipant()): string | undefined {
    this.send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION, room, session: participant.session, key: participant.key } satisfies JoinMessage);
    return this.session.id;
  }
}
