// Fuzzes the signaling server with generated malformed, oversized, truncated and type-confused
// frames over real WebSockets, while a chat in another room keeps relaying signals; then fuzzes the
// members of one room with valid and invalid signals, second joins and version 1's retired frames.
// Every frame kind has an oracle: the error code it must be answered with, or the close, or what
// each member must receive (members are bare ids: no frame carries a name).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DIGEST_LENGTH, DIGEST_PATTERN, PEER_ID_PATTERN, ROOM_ID_LENGTH, ROOM_ID_PATTERN, SESSION_SECRET_PATTERN } from '../../protocol/ids.js';
import { MAX_NAME_LENGTH, NAME_PATTERN } from '../../protocol/names.js';
import {
  ClientMessageType,
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  ServerMessageType,
  SIGNAL_REQUEST_DATA_INFIX,
  SIGNAL_REQUEST_PREFIX,
  type JoinMessage,
  type ServerMessage,
  type SignalData,
  type WelcomeMessage,
} from '../../protocol/signaling.js';
import type { Participant } from '../support/participant.js';
import { TestClient } from '../support/ws-client.js';

const FRAME_COUNT = 100_000;
const WARM_UP_FRAMES = 20_000;
const CONNECTIONS = 8;
/** Frames in flight per connection, so the fuzzer never floods its own socket unboundedly. */
const WINDOW = 256;
const MAX_FRAME_BYTES = 64 * 1024;
/** Overall bound on the fuzz run, so the test stops by itself whatever happens. */
const TIME_LIMIT_MS = 120_000;

/** Frames the members of one room send, and how many each round before all answers are awaited. */
const JOINED_FRAME_COUNT = 20_000;
const JOINED_ROUND = 300;
const MEMBER_COUNT = 3;

const ROOM = 'R'.repeat(43);
const CHAT_ROOM = 'C'.repeat(43);
const JOINED_ROOM = 'J'.repeat(ROOM_ID_LENGTH);
const PEER = 'p'.repeat(22);
const SESSION = 's'.repeat(22);
const KEY = 'k'.repeat(DIGEST_LENGTH);

/** What the server must answer a frame with: an error with this code (and ref), a close, or both in that order. */
type Expected = { error: ErrorCode; ref?: string; close?: number } | { error?: undefined; ref?: undefined; close: number };
interface Frame {
  data: string | Buffer;
  binary: boolean;
  expect: Expected;
  kind: string;
}

const describeExpected = ({ error, ref, close }: Expected): string =>
  [error && `error ${error}${ref === undefined ? '' : ` (ref ${ref})`}`, close && `close ${close}`].filter(Boolean).join(' then ');

const valid = {
  join: { type: 'join', v: PROTOCOL_VERSION, room: ROOM, session: SESSION, key: KEY },
  signal: { type: 'signal', to: PEER, data: { type: 'offer', sdp: 'v=0' } },
  leave: { type: 'leave' },
} as const;
type ValidType = keyof typeof valid;

/** Any JSON value that is not a string. */
const nonString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }));
/** Any JSON value that is not a number (a numeric version would be a different, valid version). */
const nonNumber = fc.oneof(fc.boolean(), fc.constant(null), fc.string({ maxLength: 5 }), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }));
/** Any JSON value that is not a plain object. */
const nonObject = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 20 }), fc.array(fc.jsonValue(), { maxLength: 3 }));
/** Strings that are never a key digest (43 base64url characters). */
const badDigest = fc.oneof(
  fc.string({ maxLength: DIGEST_LENGTH - 1 }),
  fc.string({ minLength: DIGEST_LENGTH + 1, maxLength: 90 }),
  fc.constantFrom('=', '+', '/', ' ', '.').map((last) => `${KEY.slice(1)}${last}`),
);
/** Strings that are never a session secret (22–64 base64url characters). */
const badSession = fc.oneof(fc.string({ maxLength: 21 }), fc.string({ minLength: 65, maxLength: 100 }), fc.constant(`${SESSION}!`));
/** Display names as people choose them (the browsers send them to each other, never to the server). */
const nameRegExp = new RegExp(NAME_PATTERN);
const displayName = fc
  .string({ minLength: 1, maxLength: MAX_NAME_LENGTH, unit: 'grapheme' })
  .filter((name) => [...name].length <= MAX_NAME_LENGTH && nameRegExp.test(name));
const badId = fc.oneof(fc.string({ maxLength: 21 }), fc.string({ minLength: 23, maxLength: 60 }), fc.constant('../../etc/passwd!!!!!!'));

/** A valid message with one field swapped for a value of the wrong type or shape. */
const typeConfused = fc.oneof(
  fc.record({ field: fc.constantFrom('room', 'session', 'key'), value: nonString }).map(({ field, value }) => ({ ...valid.join, [field]: value })),
  nonNumber.map((v) => ({ ...valid.join, v })),
  badDigest.map((key) => ({ ...valid.join, key })),
  badSession.map((session) => ({ ...valid.join, session })),
  // A name in a join, as version 1 had it: refused, whatever the name, rather than kept.
  displayName.map((name) => ({ ...valid.join, name })),
  badId.map((room) => ({ ...valid.join, room })),
  fc.oneof(fc.double({ noInteger: true }), fc.integer({ max: 0 })).map((v) => ({ ...valid.join, v })),
  nonObject.map((data) => ({ ...valid.signal, data })),
  fc.oneof(nonString, badId).map((to) => ({ ...valid.signal, to })),
  fc.record({ type: fc.constantFrom<ValidType>('join', 'signal'), drop: fc.nat() }).map(({ type, drop }) => {
    const message: Record<string, unknown> = { ...valid[type] };
    const keys = Object.keys(message).filter((key) => key !== 'type');
    delete message[keys[drop % keys.length]!];
    return message;
  }),
  fc.record({ type: fc.constantFrom<ValidType>('join', 'signal', 'leave'), key: fc.string({ minLength: 1, maxLength: 10 }), value: fc.jsonValue() })
    .filter(({ type, key }) => !(key in valid[type]))
    .map(({ type, key, value }) => ({ ...valid[type], [key]: value })),
);

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const frames: fc.Arbitrary<Frame> = fc.oneof(
  // Type-confused and structurally wrong messages: the schema of their type refuses them.
  {
    weight: 30,
    arbitrary: typeConfused.map((message) => ({
      data: JSON.stringify(message),
      binary: false,
      expect: { error: ErrorCode.InvalidMessage, ref: String(message.type) },
      kind: 'type-confused',
    })),
  },
  // Truncated JSON: a valid message cut short is never a complete object.
  {
    weight: 15,
    arbitrary: fc
      .record({ type: fc.constantFrom<ValidType>('join', 'signal', 'leave'), cut: fc.nat() })
      .map(({ type, cut }) => {
        const text = JSON.stringify(valid[type]);
        return { data: text.slice(0, cut % (text.length - 1)), binary: false, expect: { error: ErrorCode.BadJson }, kind: 'truncated' };
      }),
  },
  // Unknown types with arbitrary payloads.
  {
    weight: 10,
    arbitrary: fc
      .record({ type: fc.oneof(fc.string({ maxLength: 40 }), nonString), rest: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 4 }) })
      .filter(({ type }) => typeof type !== 'string' || !(type in valid))
      .map(({ type, rest }) => ({ data: JSON.stringify({ ...rest, type }), binary: false, expect: { error: ErrorCode.UnknownType }, kind: 'unknown-type' })),
  },
  // JSON that is not an object at all.
  { weight: 10, arbitrary: nonObject.map((value) => ({ data: JSON.stringify(value), binary: false, expect: { error: ErrorCode.UnknownType }, kind: 'not-an-object' })) },
  // Text that is not JSON: an object opened, then anything but what would make it valid (`}`, say).
  {
    weight: 10,
    arbitrary: fc
      .string({ maxLength: 200 })
      .map((text) => `{${text}`)
      .filter((text) => !isJson(text))
      .map((text) => ({ data: text, binary: false, expect: { error: ErrorCode.BadJson }, kind: 'not-json' })),
  },
  // Deeply nested JSON, well within the size limit: it parses, to an array.
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 100, max: 20_000 })
      .map((depth) => ({ data: `${'['.repeat(depth)}${']'.repeat(depth)}`, binary: false, expect: { error: ErrorCode.UnknownType }, kind: 'deep' })),
  },
  // Binary frames, whatever they hold.
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true, expect: { error: ErrorCode.BadJson }, kind: 'binary' })) },
  // Valid messages that are out of place before joining.
  {
    weight: 5,
    arbitrary: fc.constantFrom<ValidType>('signal', 'leave').map((type) => ({
      data: JSON.stringify(valid[type]),
      binary: false,
      expect: { error: ErrorCode.NotJoined, ref: type },
      kind: 'not-joined',
    })),
  },
  // Version 1's rename: no type at all since version 2, joined or not, whatever it carries.
  {
    weight: 3,
    arbitrary: fc.oneof(displayName, nonString).map((name) => ({
      data: JSON.stringify({ type: 'rename', name }),
      binary: false,
      expect: { error: ErrorCode.UnknownType, ref: 'rename' },
      kind: 'retired-rename',
    })),
  },
  // Oversized frames: refused unparsed.
  {
    weight: 1,
    arbitrary: fc.integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES * 2 }).map((size) => ({
      data: JSON.stringify({ ...valid.signal, data: { sdp: 'x'.repeat(size) } }),
      binary: false,
      expect: { error: ErrorCode.FrameTooLarge },
      kind: 'oversized',
    })),
  },
  // A join in a protocol version this server does not speak: refused, then closed.
  {
    weight: 1,
    arbitrary: fc.integer({ min: PROTOCOL_VERSION + 1, max: 1000 }).map((v) => ({
      data: JSON.stringify({ ...valid.join, v }),
      binary: false,
      expect: { error: ErrorCode.UnsupportedVersion, ref: ClientMessageType.Join, close: CloseCode.UnsupportedVersion },
      kind: 'future-version',
    })),
  },
  // Text frames that are not UTF-8: the WebSocket layer closes with 1007.
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 50 }).map((bytes) => ({
      data: Buffer.concat([Buffer.from('{"type":"'), Buffer.from(bytes), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      binary: false,
      expect: { close: CloseCode.InvalidPayload },
      kind: 'invalid-utf8',
    })),
  },
);

interface Tally {
  sent: number;
  /** Frames answered exactly as their oracle says. */
  answered: number;
  errors: number;
  closes: number;
  byCode: Map<string, number>;
  byKind: Map<string, number>;
  unexpected: string[];
}

const newTally = (): Tally => ({ sent: 0, answered: 0, errors: 0, closes: 0, byCode: new Map(), byKind: new Map(), unexpected: [] });

const count = (counts: Map<string, number>, key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);

/** Sends frames over one connection with a bounded window, reconnecting after each expected close. */
async function fuzzConnection(url: string, work: Frame[], tally: Tally, deadline: number): Promise<void> {
  let index = 0;
  while (index < work.length && Date.now() < deadline) {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    let wake: (() => void) | undefined;
    /** Frames sent and not answered yet, in order (one socket answers in order). */
    const pending: Frame[] = [];
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as ServerMessage;
      const frame = pending.shift();
      if (!frame) tally.unexpected.push(`an answer to nothing: ${raw.toString().slice(0, 120)}`);
      else if (message.type !== ServerMessageType.Error || message.code !== frame.expect.error || (frame.expect.ref !== undefined && message.ref !== frame.expect.ref)) {
        tally.unexpected.push(`${frame.kind}: expected ${describeExpected(frame.expect)}, got ${raw.toString().slice(0, 120)}`);
      } else {
        tally.errors += 1;
        count(tally.byCode, message.code);
        if (frame.expect.close === undefined) tally.answered += 1;
      }
      wake?.();
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    let closeCode: number | undefined;
    void closed.then((code) => {
      closeCode = code;
      wake?.();
    });
    const settle = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
    const send = (frame: Frame): void => {
      index += 1;
      tally.sent += 1;
      count(tally.byKind, frame.kind);
      if (frame.expect.error !== undefined) pending.push(frame);
      socket.send(frame.data, { binary: frame.binary });
    };

    let closing: Frame | undefined;
    while (index < work.length && closeCode === undefined && Date.now() < deadline) {
      const frame = work[index]!;
      if (frame.expect.close !== undefined) {
        // Let the answers to everything before it arrive first, so each is checked.
        while (pending.length > 0 && closeCode === undefined) await settle();
        if (closeCode !== undefined) break;
        closing = frame;
        send(frame);
        await closed;
        break;
      }
      while (pending.length >= WINDOW && closeCode === undefined) await settle();
      if (closeCode !== undefined) break;
      send(frame);
    }
    if (closeCode === undefined) {
      while (pending.length > 0 && closeCode === undefined && Date.now() < deadline) await settle();
      socket.close();
      await closed;
    } else if (closing && closeCode === closing.expect.close && pending.length === 0) {
      tally.closes += 1;
      tally.answered += 1;
    } else {
      const missing = pending.length > 0 ? ` with ${pending.length} frames unanswered` : '';
      tally.unexpected.push(`${closing ? `${closing.kind}: expected ${describeExpected(closing.expect)}, but` : 'a connection'} closed with ${closeCode}${missing}`);
    }
  }
}

// ---- joined connections ----------------------------------------------------------------------

/** Payloads as browsers send them (sealed since version 2), and any JSON object (escapes, lone surrogates, nesting). */
const signalData: fc.Arbitrary<SignalData> = fc.oneof(
  fc.record({
    k: fc.constantFrom('offer', 'answer', 'candidate', 'other'),
    n: fc.maxSafeNat(),
    c: fc.stringMatching(/^[A-Za-z0-9_-]{1,400}$/),
  }),
  fc.record({ type: fc.constantFrom('offer', 'answer'), sdp: fc.string({ maxLength: 300, unit: 'binary' }) }),
  fc.record({ candidate: fc.string({ maxLength: 120 }), sdpMid: fc.string({ maxLength: 3 }), sdpMLineIndex: fc.nat(8) }),
  fc.dictionary(fc.string({ maxLength: 8, unit: 'binary' }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
);

/**
 * How a signal request is written: the canonical layout is relayed as the text of its data; any
 * other is parsed and written again. Both must deliver exactly the data the server validated.
 */
const SignalLayout = {
  Canonical: (to: string, data: SignalData) => JSON.stringify({ type: ClientMessageType.Signal, to, data }),
  CanonicalSpacedData: (to: string, data: SignalData) => `${SIGNAL_REQUEST_PREFIX}${to}${SIGNAL_REQUEST_DATA_INFIX}${JSON.stringify(data, null, 2)}}`,
  Reordered: (to: string, data: SignalData) => JSON.stringify({ data, to, type: ClientMessageType.Signal }),
  Spaced: (to: string, data: SignalData) => JSON.stringify({ type: ClientMessageType.Signal, to, data }, null, 1),
} as const;
type SignalLayout = keyof typeof SignalLayout;

/** Malformed frames mean the same to a joined connection, except those valid once joined, and closes. */
const joinedMalformed = frames.filter((frame) => frame.expect.close === undefined && frame.kind !== 'not-joined');

/** One frame a member sends; `sender` and `offset` pick members by position in the room. */
type JoinedAction = { sender: number } & (
  | { kind: 'signal'; offset: number; data: SignalData; layout: SignalLayout }
  | { kind: 'signal-to-self'; data: SignalData }
  | { kind: 'signal-to-stranger'; to: string; data: SignalData }
  | { kind: 'join-again'; room: string; session: string; key: string }
  | { kind: 'malformed'; frame: Frame }
);

const joinedActions: fc.Arbitrary<JoinedAction> = fc
  .tuple(
    fc.nat(MEMBER_COUNT - 1),
    fc.oneof(
      {
        weight: 40,
        arbitrary: fc.record({
          kind: fc.constant('signal' as const),
          offset: fc.integer({ min: 1, max: MEMBER_COUNT - 1 }),
          data: signalData,
          layout: fc.constantFrom(...(Object.keys(SignalLayout) as SignalLayout[])),
        }),
      },
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('signal-to-self' as const), data: signalData }) },
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('signal-to-stranger' as const), to: fc.stringMatching(new RegExp(PEER_ID_PATTERN)), data: signalData }) },
      {
        weight: 10,
        arbitrary: fc.record({
          kind: fc.constant('join-again' as const),
          // Its own room too: a second join there must not announce anyone again.
          room: fc.oneof(fc.constant(JOINED_ROOM), fc.stringMatching(new RegExp(ROOM_ID_PATTERN))),
          session: fc.stringMatching(new RegExp(SESSION_SECRET_PATTERN)),
          key: fc.stringMatching(new RegExp(DIGEST_PATTERN)),
        }),
      },
      { weight: 35, arbitrary: joinedMalformed.map((frame) => ({ kind: 'malformed' as const, frame })) },
    ),
  )
  .map(([sender, action]) => ({ sender, ...action }));

/** What one member must receive from one origin: this exact frame, or an error with this code. */
type Delivery = { frame: ServerMessage } | { error: ErrorCode; ref?: string };

/** The frame to send for an action, and what each member must receive because of it. */
function wireFor(action: JoinedAction, ids: readonly string[]): { data: string | Buffer; binary: boolean; deliveries: [number, Delivery][] } {
  const from = ids[action.sender]!;
  switch (action.kind) {
    case 'signal': {
      const target = (action.sender + action.offset) % ids.length;
      const data = SignalLayout[action.layout](ids[target]!, action.data);
      // Exactly what the server validated: the payload as JSON.parse reads the frame.
      const validated = (JSON.parse(data) as { data: SignalData }).data;
      return { data, binary: false, deliveries: [[target, { frame: { type: ServerMessageType.Signal, from, data: validated } }]] };
    }
    case 'signal-to-self':
    case 'signal-to-stranger': {
      const to = action.kind === 'signal-to-self' ? from : action.to;
      const data = SignalLayout.Canonical(to, action.data);
      return { data, binary: false, deliveries: [[action.sender, { error: ErrorCode.UnknownPeer, ref: ClientMessageType.Signal }]] };
    }
    case 'join-again': {
      const join: JoinMessage = { type: ClientMessageType.Join, v: PROTOCOL_VERSION, room: action.room, session: action.session, key: action.key };
      const data = JSON.stringify(join);
      return { data, binary: false, deliveries: [[action.sender, { error: ErrorCode.AlreadyJoined, ref: ClientMessageType.Join }]] };
    }
    case 'malformed': {
      const { error, ref } = action.frame.expect;
      if (error === undefined) throw new Error(`a ${action.frame.kind} frame closes the connection; it has no place here`);
      return { data: action.frame.data, binary: action.frame.binary, deliveries: [[action.sender, { error, ...(ref === undefined ? {} : { ref }) }]] };
    }
  }
}

interface Member {
  socket: WebSocket;
  welcome: WelcomeMessage;
  /** Frames received before the fuzzing starts (the others joining). */
  early: ServerMessage[];
  onFrame: ((message: ServerMessage, raw: string) => void) | undefined;
}

async function joinMember(url: string, participant: Participant): Promise<Member> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const early: ServerMessage[] = [];
  let member: Member | undefined;
  const welcomed = new Promise<WelcomeMessage>((resolve) => {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as ServerMessage;
      if (member?.onFrame) member.onFrame(message, raw.toString());
      else if (message.type === ServerMessageType.Welcome) resolve(message);
      else early.push(message);
    });
  });
  const join: JoinMessage = { type: ClientMessageType.Join, v: PROTOCOL_VERSION, room: JOINED_ROOM, ...participant };
  socket.send(JSON.stringify(join));
  member = { socket, welcome: await welcomed, early, onFrame: undefined };
  return member;
}

interface ServerMemory {
  heapUsed: number;
  rss: number;
  connections: number;
  /** Members in rooms (the parley_room_members metric). */
  members: number;
}

/** The server under test, in its own process (so its memory is its own), with a crash detector. */
let child: ChildProcess;
let signalUrl = '';
let origin = '';
let childOutput = '';
let crashed: string | undefined;

function askMemory(): Promise<ServerMemory> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & ServerMemory): void => {
      if (message.type !== 'memory') return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type: 'memory' });
  });
}

async function settledMemory(expectedConnections: number): Promise<ServerMemory> {
  await expect.poll(async () => (await askMemory()).connections, { timeout: 10_000 }).toBe(expectedConnections);
  return askMemory();
}

beforeAll(async () => {
  const options = {
    maxFrameBytes: MAX_FRAME_BYTES,
    // The fuzzer sends as fast as it can, from one address: lift the flood and join limits so
    // every frame reaches the parser.
    rateLimitPerSecond: 1_000_000,
    rateLimitBurst: 1_000_000,
    maxConnectionsPerIp: 1000,
    joinsPerMinutePerIp: 1_000_000,
    joinsPerMinutePerRoom: 1_000_000,
    maxRoomMembersPerIp: 256,
    joinTimeoutMs: 600_000,
  };
  child = fork(fileURLToPath(new URL('./server-child.mjs', import.meta.url)), [JSON.stringify(options)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
  child.once('exit', (code, signal) => (crashed = `server exited (code ${code}, signal ${signal})`));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { type: string; port: number }) => resolve(message.port));
    child.once('exit', () => reject(new Error(`server did not start:\n${childOutput}`)));
  });
  signalUrl = `ws://127.0.0.1:${port}/signal`;
  origin = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (!child || crashed) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ type: 'close' });
  await exited;
});

describe('signaling fuzz', () => {
  it(`answers ${FRAME_COUNT.toLocaleString('en')} malformed frames with the right error or close, never crashes, leaks nothing, and another room chats on`, async () => {
    const work = fc.sample(frames, { numRuns: FRAME_COUNT, seed: 20261122 });
    const warmUp = fc.sample(frames, { numRuns: WARM_UP_FRAMES, seed: 1 });

    // A chat in another room: two members relay signals back and forth throughout.
    const ada = await TestClient.connect(signalUrl);
    const bob = await TestClient.connect(signalUrl);
    const adaId = (await ada.join(CHAT_ROOM)).id;
    const bobId = (await bob.join(CHAT_ROOM)).id;

    // Warm up first (compiled code, caches, pools), so the baseline is the steady state.
    const warmUpTally = newTally();
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, index) => fuzzConnection(signalUrl, warmUp.filter((_, i) => i % CONNECTIONS === index), warmUpTally, Date.now() + TIME_LIMIT_MS)));
    expect(warmUpTally.unexpected.slice(0, 20)).toEqual([]);
    const before = await settledMemory(2);
    const started = Date.now();
    const deadline = started + TIME_LIMIT_MS;
    const tally = newTally();

    let fuzzing = true;
    const chatLatencies: number[] = [];
    const chat = (async () => {
      let round = 0;
      while (fuzzing && Date.now() < deadline) {
        round += 1;
        const sentAt = performance.now();
        ada.send({ type: 'signal', to: bobId, data: { round } });
        const got = await bob.next('signal', (message) => message.data.round === round, 10_000);
        bob.send({ type: 'signal', to: adaId, data: { round } });
        await ada.next('signal', (message) => message.data.round === round, 10_000);
        expect(got.from).toBe(adaId);
        chatLatencies.push(performance.now() - sentAt);
      }
      return round;
    })();

    const share = Math.ceil(work.length / CONNECTIONS);
    await Promise.all(
      Array.from({ length: CONNECTIONS }, (_, index) => fuzzConnection(signalUrl, work.slice(index * share, (index + 1) * share), tally, deadline)),
    );
    const elapsedMs = Date.now() - started;
    fuzzing = false;
    const rounds = await chat;

    // The server still serves: it is alive, health answers and the chat room is intact.
    expect(crashed).toBeUndefined();
    const health = (await (await fetch(`${origin}/healthz`)).json()) as { status: string };
    expect(health).toMatchObject({ status: 'ok' });
    expect((await askMemory()).members).toBe(2);
    const after = await settledMemory(2);
    const sortedLatencies = [...chatLatencies].sort((a, b) => a - b);
    console.log(
      [
        `[fuzz] frames sent: ${tally.sent} in ${elapsedMs} ms (${Math.round((tally.sent / elapsedMs) * 1000)} frames/s)`,
        `[fuzz] answered as expected: ${tally.answered}; error frames returned: ${tally.errors}; closes (1007, 4001): ${tally.closes}; crashes: ${crashed ? 1 : 0}`,
        `[fuzz] error codes: ${JSON.stringify(Object.fromEntries(tally.byCode))}`,
        `[fuzz] frame kinds: ${JSON.stringify(Object.fromEntries(tally.byKind))}`,
        `[fuzz] server heap used before/after (after full GC): ${(before.heapUsed / 1048576).toFixed(2)} MiB / ${(after.heapUsed / 1048576).toFixed(2)} MiB; server RSS ${(before.rss / 1048576).toFixed(0)} / ${(after.rss / 1048576).toFixed(0)} MiB`,
        `[fuzz] other room: ${rounds} signal round trips, p50 ${sortedLatencies[Math.floor(rounds / 2)]?.toFixed(1)} ms, max ${sortedLatencies.at(-1)?.toFixed(1)} ms`,
      ].join('\n'),
    );

    expect(tally.sent).toBe(FRAME_COUNT);
    expect(tally.unexpected.slice(0, 20)).toEqual([]);
    expect(tally.answered).toBe(tally.sent);
    expect(tally.byCode.get(ErrorCode.Internal) ?? 0).toBe(0);
    // Nothing at error level in the server's log (handler failures, crashes of a request).
    expect(childOutput).toBe('');
    expect(rounds).toBeGreaterThan(10);
    // Back to baseline: a leak of even 20 bytes per frame would show as 2 MB here.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(1024 * 1024);
    ada.close();
    bob.close();
  });

  it(`checks what ${JOINED_FRAME_COUNT.toLocaleString('en')} frames from the ${MEMBER_COUNT} members of one room deliver: each relay and error`, async () => {
    const actions = fc.sample(joinedActions, { numRuns: JOINED_FRAME_COUNT, seed: 20261123 });
    const members: Member[] = [];
    for (let index = 0; index < MEMBER_COUNT; index += 1) {
      members.push(await joinMember(signalUrl, { session: `${index}`.repeat(22), key: `${index}`.repeat(DIGEST_LENGTH) }));
    }
    const ids = members.map((member) => member.welcome.id);
    // Each member was welcomed with those before it, and hears of those after it, as bare ids,
    // before anything else is checked.
    expect(members.map((member) => member.welcome.members)).toEqual(members.map((_, index) => ids.slice(0, index).map((id) => ({ id }))));
    await expect.poll(() => members.map((member) => member.early.length)).toEqual(members.map((_, index) => MEMBER_COUNT - 1 - index));
    expect(members.map((member) => member.early)).toEqual(
      members.map((_, index) => ids.slice(index + 1).map((id) => ({ type: ServerMessageType.PeerJoined, peer: { id } }))),
    );

    /** What each member must still receive, by the member it comes from (one socket delivers in order). */
    const expected = members.map(() => members.map((): Delivery[] => []));
    const mismatches: string[] = [];
    const counts = new Map<string, number>();
    let outstanding = 0;
    let wake: (() => void) | undefined;
    for (const [receiver, member] of members.entries()) {
      member.onFrame = (message, raw) => {
        // Only errors and relayed signals have a cause here; anything else (a peer-joined after a
        // second join, say) is a frame nobody caused.
        const origin =
          message.type === ServerMessageType.Error ? receiver
          : message.type === ServerMessageType.Signal ? ids.indexOf(message.from)
          : -1;
        const delivery = origin >= 0 ? expected[receiver]![origin]!.shift() : undefined;
        if (!delivery) {
          mismatches.push(`member ${receiver} got a frame nobody caused: ${raw.slice(0, 160)}`);
          return;
        }
        outstanding -= 1;
        const right =
          'frame' in delivery
            ? isDeepStrictEqual(message, delivery.frame)
            : message.type === ServerMessageType.Error && message.code === delivery.error && (delivery.ref === undefined || message.ref === delivery.ref);
        if (right) count(counts, message.type === ServerMessageType.Error ? message.code : message.type);
        else mismatches.push(`member ${receiver}, from member ${origin}: expected ${JSON.stringify(delivery).slice(0, 160)}, got ${raw.slice(0, 160)}`);
        if (outstanding === 0) wake?.();
      };
    }

    const started = Date.now();
    const deadline = started + TIME_LIMIT_MS;
    let sent = 0;
    for (let start = 0; start < actions.length && Date.now() < deadline; start += JOINED_ROUND) {
      for (const action of actions.slice(start, start + JOINED_ROUND)) {
        const wire = wireFor(action, ids);
        for (const [receiver, delivery] of wire.deliveries) expected[receiver]![action.sender]!.push(delivery);
        outstanding += wire.deliveries.length;
        members[action.sender]!.socket.send(wire.data, { binary: wire.binary });
        sent += 1;
      }
      if (outstanding > 0) {
        const roundOver = new Promise<void>((resolve) => (wake = resolve));
        const stalled = new Promise<'stalled'>((resolve) => setTimeout(() => resolve('stalled'), 10_000).unref());
        if ((await Promise.race([roundOver, stalled])) === 'stalled') break;
      }
    }
    const elapsedMs = Date.now() - started;
    console.log(
      [
        `[fuzz] joined: ${sent} frames from ${MEMBER_COUNT} members of one room in ${elapsedMs} ms (${Math.round((sent / elapsedMs) * 1000)} frames/s)`,
        `[fuzz] joined: delivered as expected: ${JSON.stringify(Object.fromEntries(counts))}`,
      ].join('\n'),
    );

    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(sent).toBe(JOINED_FRAME_COUNT);
    expect(outstanding).toBe(0);
    expect(counts.get(ErrorCode.Internal) ?? 0).toBe(0);
    expect(crashed).toBeUndefined();
    expect(childOutput).toBe('');
    for (const member of members) member.socket.close();
  });
});
