// The session's state machine on fake sockets and a real room registry: join, relay, rename,
// leave, the errors, the rate limit, and what it logs.
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ROOM_ID_LENGTH } from '../../protocol/ids.js';
import {
  ClientMessageType,
  CloseCode,
  ErrorCode,
  LeaveReason,
  PROTOCOL_VERSION,
  ServerMessageType,
  signalDeliveryFrame,
} from '../../protocol/signaling.js';
import { RoomRegistry } from '../../signaling/rooms.js';
import { derivePeerId, type SessionContext, type SignalingSession } from '../../signaling/session.js';
import { FakeConnection, newSessionSecret, sessionContext, type TranscriptEntry } from './fake-session-socket.js';

const ROOM = 'A'.repeat(ROOM_ID_LENGTH);
const OTHER_ROOM = 'B'.repeat(ROOM_ID_LENGTH);
/** A well-formed peer id that nobody has. */
const NOBODY = 'n'.repeat(22);

/** Sessions of one server: one context, one transcript of everything every socket was given. */
function server(overrides: Partial<SessionContext> = {}) {
  const context = sessionContext(overrides);
  const transcript: TranscriptEntry[] = [];
  const connect = (name: string): FakeConnection => new FakeConnection(name, context, transcript);
  /** Connects and joins; returns the connection with its peer id. */
  const member = (name: string, room = ROOM, secret = newSessionSecret()) => {
    const connection = connect(name);
    const id = connection.join(room, name, secret);
    if (id === undefined) throw new Error(`${name} was not welcomed`);
    return Object.assign(connection, { id });
  };
  return { context, transcript, connect, member };
}

const error = (code: ErrorCode, ref?: string) => ({ type: ServerMessageType.Error, code, ...(ref === undefined ? {} : { ref }) });

afterEach(() => {
  vi.useRealTimers();
});

describe('joining', () => {
  it('tells the members of a newcomer before it welcomes the newcomer', () => {
    const { transcript, member, connect } = server();
    const ada = member('Ada');
    const bob = member('Bob');
    transcript.length = 0;

    const secret = newSessionSecret();
    const cy = connect('Cy');
    cy.join(ROOM, 'Cy', secret);
    const cyId = derivePeerId(ROOM, secret);
    const peerJoined = { type: ServerMessageType.PeerJoined, peer: { id: cyId, name: 'Cy' } };
    expect(transcript).toEqual([
      { socket: 'Ada', frame: peerJoined },
      { socket: 'Bob', frame: peerJoined },
      {
        socket: 'Cy',
        frame: {
          type: ServerMessageType.Welcome,
          v: PROTOCOL_VERSION,
          id: cyId,
          room: ROOM,
          members: [
            { id: ada.id, name: 'Ada' },
            { id: bob.id, name: 'Bob' },
          ],
          iceServers: [{ urls: 'stun:198.51.100.1:3478' }],
        },
      },
    ]);
  });

  it('replaces the older connection of the same session secret (4003), without a peer-left', () => {
    const { member, transcript } = server();
    const secret = newSessionSecret();
    const ada = member('Ada', ROOM, secret);
    const bob = member('Bob');
    transcript.length = 0;

    const again = member('Ada again', ROOM, secret);
    expect(again.id).toBe(ada.id);
    expect(ada.socket.closes).toEqual([CloseCode.Replaced]);
    expect(again.socket.all(ServerMessageType.Welcome)[0]?.members).toEqual([{ id: bob.id, name: 'Bob' }]);
    expect(bob.socket.all(ServerMessageType.PeerJoined).at(-1)).toEqual({ type: ServerMessageType.PeerJoined, peer: { id: ada.id, name: 'Ada again' } });

    // The old socket's close, when it comes, tells nobody anything: its place is taken.
    ada.session.handleClose();
    expect(bob.socket.all(ServerMessageType.PeerLeft)).toEqual([]);
    // Signals to that id reach the new connection only.
    bob.send({ type: ClientMessageType.Signal, to: ada.id, data: { n: 1 } });
    expect(again.socket.all(ServerMessageType.Signal)).toEqual([{ type: ServerMessageType.Signal, from: bob.id, data: { n: 1 } }]);
    expect(ada.socket.all(ServerMessageType.Signal)).toEqual([]);
  });

  it('refuses a member over the room cap with room-full, then closes with 4002', () => {
    const { member, connect, transcript } = server({ rooms: new RoomRegistry<SignalingSession>(2) });
    member('Ada');
    member('Bob');
    transcript.length = 0;
    const third = connect('Cy');
    expect(third.join(ROOM, 'Cy')).toBeUndefined();
    expect(transcript).toEqual([
      { socket: 'Cy', frame: expect.objectContaining(error(ErrorCode.RoomFull, ClientMessageType.Join)) },
      { socket: 'Cy', close: CloseCode.RoomFull },
    ]);
  });

  it('refuses another protocol version with unsupported-version, then closes with 4001', () => {
    const { connect, transcript, context } = server();
    const future = connect('Future');
    future.send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION + 1, room: ROOM, name: 'Future', session: newSessionSecret() });
    expect(transcript).toEqual([
      { socket: 'Future', frame: expect.objectContaining(error(ErrorCode.UnsupportedVersion, ClientMessageType.Join)) },
      { socket: 'Future', close: CloseCode.UnsupportedVersion },
    ]);
    expect(context.rooms.memberCount).toBe(0);
  });

  it('refuses a second join on a joined connection with already-joined, and keeps it where it was', () => {
    const { member } = server();
    const ada = member('Ada');
    const bob = member('Bob');
    ada.join(OTHER_ROOM, 'Ada');
    expect(ada.socket.frames.at(-1)).toMatchObject(error(ErrorCode.AlreadyJoined, ClientMessageType.Join));
    expect(ada.session.roomId).toBe(ROOM);
    bob.send({ type: ClientMessageType.Signal, to: ada.id, data: {} });
    expect(ada.socket.all(ServerMessageType.Signal)).toHaveLength(1);
  });

  it('answers signal, rename and leave before a join with not-joined', () => {
    const { connect } = server();
    const loner = connect('Loner');
    loner.send({ type: ClientMessageType.Signal, to: NOBODY, data: {} });
    loner.send({ type: ClientMessageType.Rename, name: 'X' });
    loner.send({ type: ClientMessageType.Leave });
    expect(loner.socket.frames).toEqual([
      expect.objectContaining(error(ErrorCode.NotJoined, ClientMessageType.Signal)),
      expect.objectContaining(error(ErrorCode.NotJoined, ClientMessageType.Rename)),
      expect.objectContaining(error(ErrorCode.NotJoined, ClientMessageType.Leave)),
    ]);
  });
});

describe('relaying signals', () => {
  it('relays a signal in the canonical layout as the text it arrived in, from the sender id', () => {
    const { member } = server();
    const ada = member('Ada');
    const bob = member('Bob');
    // Spacing and escapes inside the payload survive: its text is forwarded, not re-serialised.
    const dataText = '{ "type" : "offer", "sdp" : "v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n", "note": "\\"}\\\\\\u2028é" }';
    bob.sendRaw(`{"type":"signal","to":"${ada.id}","data":${dataText}}`);
    expect(ada.socket.sent.at(-1)).toBe(signalDeliveryFrame(bob.id, dataText));
    expect(ada.socket.frames.at(-1)).toEqual({ type: ServerMessageType.Signal, from: bob.id, data: JSON.parse(dataText) as unknown });
    expect(bob.socket.all(ServerMessageType.Signal)).toEqual([]);
  });

  it('relays a signal in any other layout as exactly the data it validated, from the sender id', () => {
    const { member } = server();
    const ada = member('Ada');
    const bob = member('Bob');
    const data = { candidate: 'candidate:1 1 udp 1 198.51.100.3 9 typ host', sdpMid: '0', from: NOBODY };
    bob.sendRaw(JSON.stringify({ data, to: ada.id, type: ClientMessageType.Signal }, null, 2));
    // A `from` inside the payload is only payload: the envelope names the sender.
    expect(ada.socket.sent.at(-1)).toBe(JSON.stringify({ type: ServerMessageType.Signal, from: bob.id, data }));
    // A repeated key: the receiver reads the same value the server validated (the last one).
    bob.sendRaw(`{"type":"signal","to":"${ada.id}","data":{"a":1},"data":{"b":2}}`);
    expect(ada.socket.frames.at(-1)).toEqual({ type: ServerMessageType.Signal, from: bob.id, data: { b: 2 } });
  });

  it('answers a signal to anyone but another member of the room with unknown-peer, relaying nothing', () => {
    const { member } = server();
    const ada = member('Ada');
    const bob = member('Bob');
    const eve = member('Eve', OTHER_ROOM);
    for (const to of [NOBODY, ada.id, eve.id]) ada.send({ type: ClientMessageType.Signal, to, data: { to } });
    expect(ada.socket.frames.slice(-3)).toEqual(Array(3).fill(expect.objectContaining(error(ErrorCode.UnknownPeer, ClientMessageType.Signal))));
    for (const connection of [ada, bob, eve]) expect(connection.socket.all(ServerMessageType.Signal)).toEqual([]);
  });
});

describe('renaming and leaving', () => {
  it('tells the others of a rename, and later newcomers see the new name', () => {
    const { member } = server();
    const ada = member('Ada');
    const bob = member('Bob');
    const cy = member('Cy');
    bob.send({ type: ClientMessageType.Rename, name: 'Robert' });
    const renamed = { type: ServerMessageType.PeerRenamed, peer: { id: bob.id, name: 'Robert' } };
    expect(ada.socket.all(ServerMessageType.PeerRenamed)).toEqual([renamed]);
    expect(cy.socket.all(ServerMessageType.PeerRenamed)).toEqual([renamed]);
    expect(bob.socket.all(ServerMessageType.PeerRenamed)).toEqual([]);
    const dee = member('Dee');
    expect(dee.socket.all(ServerMessageType.Welcome)[0]?.members.map((m) => m.name)).toEqual(['Ada', 'Robert', 'Cy']);
  });

  it('announces a leave as left and a closed connection as lost', () => {
    const { member } = server();
    const ada = member('Ada');
    const bob = member('Bob');
    const cy = member('Cy');
    bob.send({ type: ClientMessageType.Leave });
    cy.session.handleClose();
    expect(ada.socket.all(ServerMessageType.PeerLeft)).toEqual([
      { type: ServerMessageType.PeerLeft, id: bob.id, reason: LeaveReason.Left },
      { type: ServerMessageType.PeerLeft, id: cy.id, reason: LeaveReason.Lost },
    ]);
    expect(bob.socket.all(ServerMessageType.PeerLeft)).toEqual([]);
    // Bob is out of the room: leaving again is refused, and closing later tells nobody.
    bob.send({ type: ClientMessageType.Leave });
    expect(bob.socket.frames.at(-1)).toMatchObject(error(ErrorCode.NotJoined, ClientMessageType.Leave));
    bob.session.handleClose();
    expect(ada.socket.all(ServerMessageType.PeerLeft)).toHaveLength(2);
  });
});

describe('rate limit', () => {
  it('drops frames over the budget with rate-limited, and closes with 4008 after the strikes in a row', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { member } = server({ rateLimitPerSecond: 1, rateLimitBurst: 3, rateLimitStrikes: 4 });
    const ada = member('Ada');
    const bob = member('Bob');
    const signal = { type: ClientMessageType.Signal, to: ada.id, data: {} };
    // The join took one token of three.
    bob.send(signal);
    bob.send(signal);
    bob.send(signal);
    expect(ada.socket.all(ServerMessageType.Signal)).toHaveLength(2);
    expect(bob.socket.frames.at(-1)).toMatchObject(error(ErrorCode.RateLimited));

    // A second later one token is back: a frame that passes ends the run of strikes.
    vi.advanceTimersByTime(1000);
    bob.send(signal);
    expect(ada.socket.all(ServerMessageType.Signal)).toHaveLength(3);
    for (let strike = 1; strike <= 3; strike += 1) bob.send(signal);
    expect(bob.socket.all(ServerMessageType.Error)).toHaveLength(4);
    expect(bob.socket.closes).toEqual([]);
    bob.send(signal);
    expect(bob.socket.closes).toEqual([CloseCode.RateLimited]);
    expect(bob.socket.all(ServerMessageType.Error)).toHaveLength(4);
    expect(ada.socket.all(ServerMessageType.Signal)).toHaveLength(3);
  });
});

describe('bad frames', () => {
  it('refuses binary frames and frames over the size limit before parsing them', () => {
    const { member } = server({ maxFrameBytes: 1024 });
    const ada = member('Ada');
    const bob = member('Bob');
    bob.sendRaw(Buffer.from(JSON.stringify({ type: ClientMessageType.Signal, to: ada.id, data: {} })), true);
    bob.sendRaw(JSON.stringify({ type: ClientMessageType.Signal, to: ada.id, data: { sdp: 'x'.repeat(1024) } }));
    expect(bob.socket.frames.slice(-2)).toEqual([
      expect.objectContaining(error(ErrorCode.BadJson)),
      expect.objectContaining(error(ErrorCode.FrameTooLarge)),
    ]);
    expect(ada.socket.all(ServerMessageType.Signal)).toEqual([]);
  });
});

describe('logging', () => {
  it('never writes a session secret to the log, whatever happens', () => {
    const lines: string[] = [];
    const log = Fastify({ logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } } }).log;
    const { member, connect } = server({ log, rooms: new RoomRegistry<SignalingSession>(3), rateLimitPerSecond: 1, rateLimitBurst: 20, rateLimitStrikes: 2 });
    const secrets = Array.from({ length: 8 }, newSessionSecret);
    const [adaSecret, bobSecret, cySecret, extraSecret, futureSecret, fullSecret, invalidSecret, floodSecret] = secrets as [string, ...string[]];

    const ada = member('Ada', ROOM, adaSecret);
    const bob = member('Bob', ROOM, bobSecret);
    bob.send({ type: ClientMessageType.Signal, to: ada.id, data: { sdp: 'v=0' } });
    bob.send({ type: ClientMessageType.Rename, name: 'Robert' });
    bob.send({ type: ClientMessageType.Leave });
    const bobAgain = member('Bob again', ROOM, bobSecret);
    // Replaced by a connection with the same secret, then the old socket closes.
    member('Ada again', ROOM, adaSecret);
    ada.session.handleClose();
    member('Cy', ROOM, cySecret);
    // Refusals of frames that carry a secret.
    bobAgain.join(OTHER_ROOM, 'Bob', extraSecret);
    connect('Future').send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION + 1, room: ROOM, name: 'Future', session: futureSecret });
    connect('Full').join(ROOM, 'Full', fullSecret);
    connect('Invalid').send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION, room: ROOM, name: '', session: invalidSecret });
    const flooder = connect('Flooder');
    for (let frame = 0; frame < 30; frame += 1) flooder.join(OTHER_ROOM, 'Flooder', floodSecret);

    const written = lines.join('');
    expect(written).toContain('peer joined room');
    expect(written).toContain('peer left room');
    expect(written).toContain('rate limit');
    for (const secret of secrets) expect(written).not.toContain(secret);
  });
});
