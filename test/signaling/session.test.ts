// The session's state machine on fake sockets and a real room registry: join, relay, leave, the
// errors, the rate limit, and what it logs.
import { createHash } from 'node:crypto';
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
import { newKeyDigest, newParticipant, type Participant } from '../support/participant.js';
import { FakeConnection, sessionContext, type TranscriptEntry } from './fake-session-socket.js';

const ROOM = 'A'.repeat(ROOM_ID_LENGTH);
const OTHER_ROOM = 'B'.repeat(ROOM_ID_LENGTH);
/** A well-formed peer id that nobody has. */
const NOBODY = 'n'.repeat(22);

/** Sessions of one server: one context, one transcript of everything every socket was given. */
function server(overrides: Partial<SessionContext> = {}) {
  const context = sessionContext(overrides);
  const transcript: TranscriptEntry[] = [];
  const connect = (name: string): FakeConnection => new FakeConnection(name, context, transcript);
  /** Connects and joins; returns the connection with its peer id. `name` only labels the socket. */
  const member = (name: string, room = ROOM, participant: Participant = newParticipant()) => {
    const connection = connect(name);
    const id = connection.join(room, participant);
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

    const participant = newParticipant();
    const cy = connect('Cy');
    cy.join(ROOM, participant);
    const cyId = derivePeerId(ROOM, participant.key, participant.session);
    const peerJoined = { type: ServerMessageType.PeerJoined, peer: { id: cyId } };
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
          members: [{ id: ada.id }, { id: bob.id }],
          iceServers: [{ urls: 'stun:198.51.100.1:3478' }],
        },
      },
    ]);
  });

  it('derives the peer id as protocol/ids.ts spells it: room, key digest and a commit of the secret', () => {
    const { member } = server();
    const participant = newParticipant();
    const ada = member('Ada', ROOM, participant);
    // Spelled out with the literal contexts, so a change to them (which breaks every browser's
    // check of the ids) shows here.
    const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url');
    const commit = sha256(`parley/session-commit/v2:${participant.session}`);
    expect(ada.id).toBe(sha256(`parley/peer-id/v2:${ROOM}:${participant.key}:${commit}`).slice(0, 22));
    expect(ada.id).toBe(derivePeerId(ROOM, participant.key, participant.session));
    // Each of the three changes it.
    expect(derivePeerId(OTHER_ROOM, participant.key, participant.session)).not.toBe(ada.id);
    expect(derivePeerId(ROOM, newKeyDigest(), participant.session)).not.toBe(ada.id);
    expect(derivePeerId(ROOM, participant.key, newParticipant().session)).not.toBe(ada.id);
  });

  it('replaces the older connection of the same participant (4003), without a peer-left', () => {
    const { member, transcript } = server();
    const participant = newParticipant();
    const ada = member('Ada', ROOM, participant);
    const bob = member('Bob');
    transcript.length = 0;

    const again = member('Ada again', ROOM, participant);
    expect(again.id).toBe(ada.id);
    expect(ada.socket.closes).toEqual([CloseCode.Replaced]);
    expect(again.socket.all(ServerMessageType.Welcome)[0]?.members).toEqual([{ id: bob.id }]);
    expect(bob.socket.all(ServerMessageType.PeerJoined).at(-1)).toEqual({ type: ServerMessageType.PeerJoined, peer: { id: ada.id } });

    // The old socket's close, when it comes, tells nobody anything: its place is taken.
    ada.session.handleClose();
    expect(bob.socket.all(ServerMessageType.PeerLeft)).toEqual([]);
    // Signals to that id reach the new connection only.
    bob.send({ type: ClientMessageType.Signal, to: ada.id, data: { n: 1 } });
    expect(again.socket.all(ServerMessageType.Signal)).toEqual([{ type: ServerMessageType.Signal, from: bob.id, data: { n: 1 } }]);
    expect(ada.socket.all(ServerMessageType.Signal)).toEqual([]);
  });

  it('treats the same secret with another key as another participant: nobody is replaced', () => {
    const { member } = server();
    const participant = newParticipant();
    const ada = member('Ada', ROOM, participant);
    // Whoever learned Ada's secret still cannot take her id without her key digest, nor push her out.
    const other = member('Other', ROOM, { ...participant, key: newKeyDigest() });
    expect(other.id).not.toBe(ada.id);
    expect(ada.socket.closes).toEqual([]);
    expect(ada.socket.all(ServerMessageType.PeerJoined)).toEqual([{ type: ServerMessageType.PeerJoined, peer: { id: other.id } }]);
    expect(other.socket.all(ServerMessageType.Welcome)[0]?.members).toEqual([{ id: ada.id }]);
  });

  it('refuses a member over the room cap with room-full, then closes with 4002', () => {
    const { member, connect, transcript } = server({ rooms: new RoomRegistry<SignalingSession>(2) });
    member('Ada');
    member('Bob');
    transcript.length = 0;
    const third = connect('Cy');
    expect(third.join(ROOM)).toBeUndefined();
    expect(transcript).toEqual([
      { socket: 'Cy', frame: expect.objectContaining(error(ErrorCode.RoomFull, ClientMessageType.Join)) },
      { socket: 'Cy', close: CloseCode.RoomFull },
    ]);
  });

  it('refuses another protocol version with unsupported-version, then closes with 4001', () => {
    const { connect, transcript, context } = server();
    const future = connect('Future');
    future.send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION + 1, room: ROOM, ...newParticipant() });
    // A version 1 page sends a join of the old shape (a name, no key): told the same, not "invalid".
    const old = connect('Old');
    old.send({ type: ClientMessageType.Join, v: 1, room: ROOM, name: 'Ada', session: newParticipant().session });
    expect(transcript).toEqual([
      { socket: 'Future', frame: expect.objectContaining(error(ErrorCode.UnsupportedVersion, ClientMessageType.Join)) },
      { socket: 'Future', close: CloseCode.UnsupportedVersion },
      { socket: 'Old', frame: expect.objectContaining(error(ErrorCode.UnsupportedVersion, ClientMessageType.Join)) },
      { socket: 'Old', close: CloseCode.UnsupportedVersion },
    ]);
    expect(context.rooms.memberCount).toBe(0);
  });

  it('refuses a second join on a joined connection with already-joined, and keeps it where it was', () => {
    const { member } = server();
    const ada = member('Ada');
    const bob = member('Bob');
    ada.join(OTHER_ROOM);
    expect(ada.socket.frames.at(-1)).toMatchObject(error(ErrorCode.AlreadyJoined, ClientMessageType.Join));
    expect(ada.session.roomId).toBe(ROOM);
    bob.send({ type: ClientMessageType.Signal, to: ada.id, data: {} });
    expect(ada.socket.all(ServerMessageType.Signal)).toHaveLength(1);
  });

  it('answers signal and leave before a join with not-joined', () => {
    const { connect } = server();
    const loner = connect('Loner');
    loner.send({ type: ClientMessageType.Signal, to: NOBODY, data: {} });
    loner.send({ type: ClientMessageType.Leave });
    expect(loner.socket.frames).toEqual([
      expect.objectContaining(error(ErrorCode.NotJoined, ClientMessageType.Signal)),
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

describe('names', () => {
  it('never handles one: a join with a name is refused, rename is an unknown type, and no frame carries a name', () => {
    const NAME = 'Ada Lovelace';
    const { member, connect, transcript } = server();
    const bob = member('Bob');
    const ada = connect('Ada');
    const participant = newParticipant();
    ada.send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION, room: ROOM, name: NAME, ...participant });
    expect(ada.session.id).toBeUndefined();
    expect(ada.socket.frames).toEqual([expect.objectContaining(error(ErrorCode.InvalidMessage, ClientMessageType.Join))]);
    const adaId = ada.join(ROOM, participant);
    expect(adaId).toBeDefined();
    // Version 1's rename, before and after a join: gone from the protocol, whatever the state.
    ada.send({ type: 'rename', name: NAME });
    connect('Loner').send({ type: 'rename', name: NAME });
    const renames = transcript.flatMap((entry) => ('frame' in entry && entry.frame.type === ServerMessageType.Error && entry.frame.ref === 'rename' ? [entry] : []));
    expect(renames).toEqual([
      { socket: 'Ada', frame: expect.objectContaining(error(ErrorCode.UnknownType, 'rename')) },
      { socket: 'Loner', frame: expect.objectContaining(error(ErrorCode.UnknownType, 'rename')) },
    ]);
    const cy = member('Cy');
    ada.send({ type: ClientMessageType.Leave });

    const frames = transcript.flatMap((entry) => ('frame' in entry ? [entry.frame] : []));
    for (const frame of frames) expect(JSON.stringify(frame)).not.toContain(NAME);
    // Members are bare ids: six entries, three in welcomes and three in peer-joined frames.
    const members = frames.flatMap((frame) =>
      frame.type === ServerMessageType.Welcome ? frame.members : frame.type === ServerMessageType.PeerJoined ? [frame.peer] : [],
    );
    expect(members).toHaveLength(6);
    for (const entry of members) expect(Object.keys(entry)).toEqual(['id']);
    expect(bob.socket.all(ServerMessageType.PeerJoined)).toEqual([
      { type: ServerMessageType.PeerJoined, peer: { id: adaId } },
      { type: ServerMessageType.PeerJoined, peer: { id: cy.id } },
    ]);
  });
});

describe('leaving', () => {
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
    const who = {
      ada: newParticipant(),
      bob: newParticipant(),
      cy: newParticipant(),
      extra: newParticipant(),
      future: newParticipant(),
      full: newParticipant(),
      invalid: newParticipant(),
      flood: newParticipant(),
    };
    const secrets = Object.values(who).map((participant) => participant.session);

    const ada = member('Ada', ROOM, who.ada);
    const bob = member('Bob', ROOM, who.bob);
    bob.send({ type: ClientMessageType.Signal, to: ada.id, data: { sdp: 'v=0' } });
    bob.send({ type: ClientMessageType.Leave });
    const bobAgain = member('Bob again', ROOM, who.bob);
    // Replaced by a connection of the same participant, then the old socket closes.
    member('Ada again', ROOM, who.ada);
    ada.session.handleClose();
    member('Cy', ROOM, who.cy);
    // Refusals of frames that carry a secret.
    bobAgain.join(OTHER_ROOM, who.extra);
    connect('Future').send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION + 1, room: ROOM, ...who.future });
    connect('Full').join(ROOM, who.full);
    connect('Invalid').send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION, room: ROOM, session: who.invalid.session, key: 'not a digest' });
    const flooder = connect('Flooder');
    for (let frame = 0; frame < 30; frame += 1) flooder.join(OTHER_ROOM, who.flood);

    const written = lines.join('');
    expect(written).toContain('peer joined room');
    expect(written).toContain('peer left room');
    expect(written).toContain('rate limit');
    for (const secret of secrets) expect(written).not.toContain(secret);
  });
});
