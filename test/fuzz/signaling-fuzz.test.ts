// Fuzzes the signaling server with generated malformed, oversized, truncated and type-confused
// frames over real WebSockets, while a chat in another room keeps relaying signals.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode, ErrorCode, PROTOCOL_VERSION, type ServerMessage } from '../../protocol/signaling.js';
import { TestClient } from '../support/ws-client.js';

const FRAME_COUNT = 100_000;
const WARM_UP_FRAMES = 20_000;
const CONNECTIONS = 8;
/** Frames in flight per connection, so the fuzzer never floods its own socket unboundedly. */
const WINDOW = 256;
const MAX_FRAME_BYTES = 64 * 1024;
/** Overall bound on the fuzz run, so the test stops by itself whatever happens. */
const TIME_LIMIT_MS = 120_000;

const ROOM = 'R'.repeat(43);
const CHAT_ROOM = 'C'.repeat(43);
const PEER = 'p'.repeat(22);
const SESSION = 's'.repeat(22);

type Expected = 'error' | 'close';
interface Frame {
  data: string | Buffer;
  binary: boolean;
  expect: Expected;
  kind: string;
}

const valid = {
  join: { type: 'join', v: PROTOCOL_VERSION, room: ROOM, name: 'Ada', session: SESSION },
  signal: { type: 'signal', to: PEER, data: { type: 'offer', sdp: 'v=0' } },
  rename: { type: 'rename', name: 'Bob' },
  leave: { type: 'leave' },
} as const;
type ValidType = keyof typeof valid;

/** Any JSON value that is not a string. */
const nonString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }));
/** Any JSON value that is not a number (a numeric version would be a different, valid version). */
const nonNumber = fc.oneof(fc.boolean(), fc.constant(null), fc.string({ maxLength: 5 }), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }));
/** Any JSON value that is not a plain object. */
const nonObject = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 20 }), fc.array(fc.jsonValue(), { maxLength: 3 }));
/** Strings that are never a valid display name. */
const badName = fc.oneof(fc.constant(''), fc.constant('   '), fc.string({ minLength: 65, maxLength: 200 }).map((s) => `x${s}`.padEnd(65, 'y')), fc.constant('a\u0000b'), fc.constant('tab\there'));
const badId = fc.oneof(fc.string({ maxLength: 21 }), fc.string({ minLength: 23, maxLength: 60 }), fc.constant('../../etc/passwd!!!!!!'));

/** A valid message with one field swapped for a value of the wrong type or shape. */
const typeConfused = fc.oneof(
  fc.record({ field: fc.constantFrom('room', 'name', 'session'), value: nonString }).map(({ field, value }) => ({ ...valid.join, [field]: value })),
  nonNumber.map((v) => ({ ...valid.join, v })),
  badName.map((name) => ({ ...valid.join, name })),
  badId.map((room) => ({ ...valid.join, room })),
  fc.oneof(fc.double({ noInteger: true }), fc.integer({ max: 0 })).map((v) => ({ ...valid.join, v })),
  nonObject.map((data) => ({ ...valid.signal, data })),
  fc.oneof(nonString, badId).map((to) => ({ ...valid.signal, to })),
  fc.oneof(nonString, badName).map((name) => ({ ...valid.rename, name })),
  fc.record({ type: fc.constantFrom<ValidType>('join', 'signal', 'rename'), drop: fc.nat() }).map(({ type, drop }) => {
    const message: Record<string, unknown> = { ...valid[type] };
    const keys = Object.keys(message).filter((key) => key !== 'type');
    delete message[keys[drop % keys.length]!];
    return message;
  }),
  fc.record({ type: fc.constantFrom<ValidType>('join', 'signal', 'rename', 'leave'), key: fc.string({ minLength: 1, maxLength: 10 }), value: fc.jsonValue() })
    .filter(({ type, key }) => !(key in valid[type]))
    .map(({ type, key, value }) => ({ ...valid[type], [key]: value })),
);

const frames: fc.Arbitrary<Frame> = fc.oneof(
  // Type-confused and structurally wrong messages.
  { weight: 30, arbitrary: typeConfused.map((message) => ({ data: JSON.stringify(message), binary: false, expect: 'error' as const, kind: 'type-confused' })) },
  // Truncated JSON: a valid message cut short is never a complete object.
  {
    weight: 15,
    arbitrary: fc
      .record({ type: fc.constantFrom<ValidType>('join', 'signal', 'rename', 'leave'), cut: fc.nat() })
      .map(({ type, cut }) => {
        const text = JSON.stringify(valid[type]);
        return { data: text.slice(0, cut % (text.length - 1)), binary: false, expect: 'error' as const, kind: 'truncated' };
      }),
  },
  // Unknown types with arbitrary payloads.
  {
    weight: 10,
    arbitrary: fc
      .record({ type: fc.oneof(fc.string({ maxLength: 40 }), nonString), rest: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 4 }) })
      .filter(({ type }) => typeof type !== 'string' || !(type in valid))
      .map(({ type, rest }) => ({ data: JSON.stringify({ ...rest, type }), binary: false, expect: 'error' as const, kind: 'unknown-type' })),
  },
  // JSON that is not an object at all.
  { weight: 10, arbitrary: nonObject.map((value) => ({ data: JSON.stringify(value), binary: false, expect: 'error' as const, kind: 'not-an-object' })) },
  // Text that is not JSON.
  {
    weight: 10,
    arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ data: `{${text}`, binary: false, expect: 'error' as const, kind: 'not-json' })),
  },
  // Deeply nested JSON, well within the size limit.
  {
    weight: 2,
    arbitrary: fc.integer({ min: 100, max: 20_000 }).map((depth) => ({ data: `${'['.repeat(depth)}${']'.repeat(depth)}`, binary: false, expect: 'error' as const, kind: 'deep' })),
  },
  // Binary frames.
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true, expect: 'error' as const, kind: 'binary' })) },
  // Valid messages that are out of place before joining.
  {
    weight: 5,
    arbitrary: fc.constantFrom<ValidType>('signal', 'rename', 'leave').map((type) => ({ data: JSON.stringify(valid[type]), binary: false, expect: 'error' as const, kind: 'not-joined' })),
  },
  // Oversized frames: refused unparsed.
  {
    weight: 1,
    arbitrary: fc.integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES * 2 }).map((size) => ({
      data: JSON.stringify({ ...valid.signal, data: { sdp: 'x'.repeat(size) } }),
      binary: false,
      expect: 'error' as const,
      kind: 'oversized',
    })),
  },
  // Text frames that are not UTF-8: the WebSocket layer closes with 1007.
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 50 }).map((bytes) => ({
      data: Buffer.concat([Buffer.from('{"type":"'), Buffer.from(bytes), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      binary: false,
      expect: 'close' as const,
      kind: 'invalid-utf8',
    })),
  },
);

interface Tally {
  sent: number;
  errors: number;
  closes: number;
  byCode: Map<string, number>;
  byKind: Map<string, number>;
  unexpected: string[];
}

/** Sends frames over one connection with a bounded window, reconnecting after each expected close. */
async function fuzzConnection(url: string, work: Frame[], tally: Tally, deadline: number): Promise<void> {
  let index = 0;
  while (index < work.length && Date.now() < deadline) {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const pending: Expected[] = [];
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as ServerMessage;
      const expected = pending.shift();
      inFlight -= 1;
      if (message.type !== 'error' || expected !== 'error') tally.unexpected.push(`${expected} answered with ${raw.toString().slice(0, 120)}`);
      else {
        tally.errors += 1;
        tally.byCode.set(message.code, (tally.byCode.get(message.code) ?? 0) + 1);
      }
      wake?.();
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    let closeCode: number | undefined;
    void closed.then((code) => {
      closeCode = code;
      wake?.();
    });

    while (index < work.length && closeCode === undefined && Date.now() < deadline) {
      const frame = work[index]!;
      if (frame.expect === 'close') {
        // Let the answers to everything before it arrive first, so each is counted.
        while (inFlight > 0 && closeCode === undefined) await new Promise<void>((resolve) => (wake = resolve));
        index += 1;
        tally.sent += 1;
        tally.byKind.set(frame.kind, (tally.byKind.get(frame.kind) ?? 0) + 1);
        socket.send(frame.data, { binary: frame.binary });
        const code = await closed;
        if (code === CloseCode.InvalidPayload) tally.closes += 1;
        else tally.unexpected.push(`invalid UTF-8 closed with ${code}`);
        break;
      }
      while (inFlight >= WINDOW && closeCode === undefined) await new Promise<void>((resolve) => (wake = resolve));
      if (closeCode !== undefined) break;
      index += 1;
      tally.sent += 1;
      tally.byKind.set(frame.kind, (tally.byKind.get(frame.kind) ?? 0) + 1);
      pending.push('error');
      inFlight += 1;
      socket.send(frame.data, { binary: frame.binary });
    }
    if (closeCode === undefined) {
      while (inFlight > 0 && closeCode === undefined && Date.now() < deadline) await new Promise<void>((resolve) => (wake = resolve));
      socket.close();
      await closed;
    } else if (closeCode !== CloseCode.InvalidPayload) {
      tally.unexpected.push(`connection closed unexpectedly with ${closeCode}`);
    }
  }
}

interface ServerMemory {
  heapUsed: number;
  rss: number;
  connections: number;
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
    // The fuzzer sends as fast as it can: lift the flood limits so every frame reaches the parser.
    rateLimitPerSecond: 1_000_000,
    rateLimitBurst: 1_000_000,
    maxConnectionsPerIp: 1000,
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
  it(`answers ${FRAME_COUNT.toLocaleString('en')} malformed frames with errors or closes, never crashes, leaks nothing, and another room chats on`, async () => {
    const work = fc.sample(frames, { numRuns: FRAME_COUNT, seed: 20261122 });
    const warmUp = fc.sample(frames, { numRuns: WARM_UP_FRAMES, seed: 1 });

    // A chat in another room: two members relay signals back and forth throughout.
    const ada = await TestClient.connect(signalUrl);
    const bob = await TestClient.connect(signalUrl);
    ada.send({ type: 'join', v: PROTOCOL_VERSION, room: CHAT_ROOM, name: 'Ada', session: 'a'.repeat(22) });
    const adaId = (await ada.next('welcome')).id;
    bob.send({ type: 'join', v: PROTOCOL_VERSION, room: CHAT_ROOM, name: 'Bob', session: 'b'.repeat(22) });
    const bobId = (await bob.next('welcome')).id;

    // Warm up first (compiled code, caches, pools), so the baseline is the steady state.
    const warmUpTally: Tally = { sent: 0, errors: 0, closes: 0, byCode: new Map(), byKind: new Map(), unexpected: [] };
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, index) => fuzzConnection(signalUrl, warmUp.filter((_, i) => i % CONNECTIONS === index), warmUpTally, Date.now() + TIME_LIMIT_MS)));
    expect(warmUpTally.unexpected).toEqual([]);
    const before = await settledMemory(2);
    const started = Date.now();
    const deadline = started + TIME_LIMIT_MS;
    const tally: Tally = { sent: 0, errors: 0, closes: 0, byCode: new Map(), byKind: new Map(), unexpected: [] };

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
    const health = (await (await fetch(`${origin}/healthz`)).json()) as { status: string; peers: number };
    expect(health).toMatchObject({ status: 'ok', peers: 2 });
    const after = await settledMemory(2);
    const sortedLatencies = [...chatLatencies].sort((a, b) => a - b);
    console.log(
      [
        `[fuzz] frames sent: ${tally.sent} in ${elapsedMs} ms (${Math.round((tally.sent / elapsedMs) * 1000)} frames/s)`,
        `[fuzz] error frames returned: ${tally.errors}; closes (invalid UTF-8 → 1007): ${tally.closes}; crashes: ${crashed ? 1 : 0}`,
        `[fuzz] error codes: ${JSON.stringify(Object.fromEntries(tally.byCode))}`,
        `[fuzz] frame kinds: ${JSON.stringify(Object.fromEntries(tally.byKind))}`,
        `[fuzz] server heap used before/after (after full GC): ${(before.heapUsed / 1048576).toFixed(2)} MiB / ${(after.heapUsed / 1048576).toFixed(2)} MiB; server RSS ${(before.rss / 1048576).toFixed(0)} / ${(after.rss / 1048576).toFixed(0)} MiB`,
        `[fuzz] other room: ${rounds} signal round trips, p50 ${sortedLatencies[Math.floor(rounds / 2)]?.toFixed(1)} ms, max ${sortedLatencies.at(-1)?.toFixed(1)} ms`,
      ].join('\n'),
    );

    expect(tally.sent).toBe(FRAME_COUNT);
    expect(tally.unexpected).toEqual([]);
    expect(tally.errors + tally.closes).toBe(tally.sent);
    expect(tally.byCode.get(ErrorCode.Internal) ?? 0).toBe(0);
    // Nothing at error level in the server's log (handler failures, crashes of a request).
    expect(childOutput).toBe('');
    expect(rounds).toBeGreaterThan(10);
    // Back to baseline: a leak of even 20 bytes per frame would show as 2 MB here.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(1024 * 1024);
    ada.close();
    bob.close();
  });
});
