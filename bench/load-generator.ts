/**
 * The load generator: a process of its own (forked by the orchestrator), so the server's CPU
 * figures are the server's alone. It takes one command at a time over IPC and answers with its
 * result. Every loop is bounded in count and time.
 */
import { connectClient, benchRoomId, type ServerKind, type SignalClient } from './signal-clients.js';
import { percentile } from './stats.js';

export type Command =
  /** `firstRoom`: where this generator's room numbers start, so that several generators never share a room. */
  | { op: 'connect'; count: number; roomSize: number; firstRoom?: number }
  | { op: 'hold'; seconds: number }
  | { op: 'disconnect' }
  | { op: 'relay'; pairs: number; seconds: number; window: number; payloadBytes: number }
  /** `warmupSeconds` at the same rate go first, uncounted (0: none, as the latency scenario has always run). */
  | { op: 'latency'; pairs: number; ratePerSecond: number; seconds: number; payloadBytes: number; warmupSeconds?: number }
  | { op: 'join-storm'; rooms: number; peersPerRoom: number; timeoutSeconds: number }
  | { op: 'exit' };

export interface Reply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

const kind = process.argv[2] as ServerKind;
/**
 * The server's WebSocket URLs: one, or one an instance. A room's members take them in turn, each
 * room starting one further on, so with two instances the two members of every pair sit on
 * different instances, and half the pairs' first members (the relay's senders) on each.
 */
const urls = process.argv.slice(3);
/** Connections opened at once, so the listen backlog is never the bottleneck. */
const CONNECT_CONCURRENCY = 100;
/** How long a pair's members may take to hear of each other (over Redis: one publish, one delivery each). */
const PAIRS_KNOWN_TIMEOUT_MS = 10_000;

function urlForMember(roomIndex: number, positionInRoom: number): string {
  return urls[(roomIndex + positionInRoom) % urls.length]!;
}

let clients: SignalClient[] = [];
let roomCounter = 0;

function padding(bytes: number): string {
  return 'x'.repeat(Math.max(0, bytes));
}

async function connectMany(count: number, roomSize: number): Promise<SignalClient[][]> {
  const rooms: SignalClient[][] = [];
  const specs: { room: string; roomIndex: number; url: string }[] = [];
  for (let index = 0; index < count; index += 1) {
    const roomIndex = Math.floor(index / roomSize);
    specs.push({ room: benchRoomId(roomCounter + roomIndex), roomIndex, url: urlForMember(roomIndex, index % roomSize) });
  }
  roomCounter += Math.ceil(count / roomSize);
  // Every connection on its own, so a room's members on different instances may join at the same
  // moment (the race between two instances' admissions that RoomMirror holds events for).
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      const client = await connectClient(kind, spec.url, spec.room);
      (rooms[spec.roomIndex] ??= []).push(client);
      clients.push(client);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, specs.length) }, worker));
  return rooms;
}

/**
 * Waits, bounded, until both members of every pair may signal each other: a signal sent earlier
 * would be refused, and a closed loop that lost its message would stall for good.
 */
async function pairsKnowEachOther(rooms: SignalClient[][]): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PAIRS_KNOWN_TIMEOUT_MS)));
  const known = Promise.all(rooms.map(([first, second]) => (first && second ? Promise.all([first.knows(second.id), second.knows(first.id)]) : undefined))).then(() => true);
  const result = await Promise.race([known, timedOut]);
  clearTimeout(timer);
  return result;
}

const PAIRS_NOT_KNOWN: Reply = { ok: false, error: `pair members had not heard of each other after ${PAIRS_KNOWN_TIMEOUT_MS} ms` };

async function relay(pairs: number, seconds: number, window: number, payloadBytes: number): Promise<Reply> {
  const rooms = await connectMany(pairs * 2, 2);
  if (!(await pairsKnowEachOther(rooms))) return PAIRS_NOT_KNOWN;
  const pad = padding(payloadBytes - 60);
  let delivered = 0;
  let running = true;
  const finished: Promise<void>[] = [];
  for (const [sender, receiver] of rooms) {
    if (!sender || !receiver) continue;
    // Closed loop: each pair keeps `window` messages in flight; one arrives, the next goes.
    finished.push(
      new Promise<void>((resolve) => {
        let inFlight = 0;
        let seq = 0;
        const pump = (): void => {
          while (running && inFlight < window) {
            inFlight += 1;
            sender.send(receiver.id, { type: 'candidate', seq: (seq += 1), candidate: pad });
          }
          if (!running && inFlight === 0) resolve();
        };
        receiver.onSignal(() => {
          delivered += 1;
          inFlight -= 1;
          pump();
        });
        pump();
      }),
    );
  }
  // Warm up for a second, then count from zero over the measured window.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  delivered = 0;
  const started = performance.now();
  process.send!({ ok: true, phase: 'measuring' });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const measured = delivered;
  const elapsed = (performance.now() - started) / 1000;
  running = false;
  await Promise.race([Promise.all(finished), new Promise((resolve) => setTimeout(resolve, 5000))]);
  return { ok: true, delivered: measured, seconds: elapsed };
}

async function latency(pairs: number, ratePerSecond: number, seconds: number, payloadBytes: number, warmupSeconds: number): Promise<Reply> {
  const rooms = (await connectMany(pairs * 2, 2)).filter((room) => room.length === 2);
  if (!(await pairsKnowEachOther(rooms))) return PAIRS_NOT_KNOWN;
  const pad = padding(payloadBytes - 60);
  const samples: number[] = [];
  for (const [, receiver] of rooms) {
    // Warm-up messages are marked and not counted, however late they arrive.
    receiver!.onSignal((_from, data) => {
      if (data.warmup !== true) samples.push(performance.now() - (data.t as number));
    });
  }
  // Open loop: messages leave on a fixed schedule whatever the server does, spread over pairs.
  const sendAtRate = async (total: number, warmup: boolean): Promise<number> => {
    const intervalMs = 1000 / ratePerSecond;
    const started = performance.now();
    let sent = 0;
    // Paced by a 1 ms timer rather than a busy loop, so the generator leaves the CPU to the server
    // between sends; each tick sends what has come due (about five messages at 5,000/s).
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
        while (sent < due) {
          const [sender, receiver] = rooms[sent % rooms.length]!;
          sender!.send(receiver!.id, { type: 'candidate', t: performance.now(), ...(warmup ? { warmup } : {}), candidate: pad });
          sent += 1;
        }
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    return sent;
  };
  // A server's first second of a new path runs cold (not yet optimised by V8): across instances
  // over Redis that alone queued messages for 200 ms, which would be most of a 10 s window's p99.
  if (warmupSeconds > 0) await sendAtRate(Math.round(ratePerSecond * warmupSeconds), true);
  process.send!({ ok: true, phase: 'measuring' });
  const started = performance.now();
  const sent = await sendAtRate(Math.round(ratePerSecond * seconds), false);
  const deadline = performance.now() + 5000;
  while (samples.length < sent && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const achievedRate = sent / ((performance.now() - started) / 1000);
  return {
    ok: true,
    sent,
    received: samples.length,
    achievedRate,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
  };
}

async function joinStorm(roomCount: number, peersPerRoom: number, timeoutSeconds: number): Promise<Reply> {
  const started = performance.now();
  const pairsTotal = roomCount * ((peersPerRoom * (peersPerRoom - 1)) / 2);
  let pairsDone = 0;
  let lastPairAt = started;
  const deadline = started + timeoutSeconds * 1000;
  const firstRoom = roomCounter;
  roomCounter += roomCount;
  const roomMembers: string[][] = Array.from({ length: roomCount }, () => []);
  // Everyone connects at once. Parley-like servers tell a newcomer who is there: it offers to
  // each, and each answers. PeerJS has no rooms: a newcomer offers to the room members the
  // generator knows have already connected (PeerJS queues messages for ids not yet online).
  await Promise.all(
    Array.from({ length: roomCount * peersPerRoom }, async (_, index) => {
      const roomIndex = Math.floor(index / peersPerRoom);
      const client = await connectClient(kind, urlForMember(roomIndex, index % peersPerRoom), benchRoomId(firstRoom + roomIndex));
      clients.push(client);
      const known = kind === 'peerjs' ? [...roomMembers[roomIndex]!] : client.membersAtJoin;
      roomMembers[roomIndex]!.push(client.id);
      client.onSignal((from, data) => {
        if (data.type === 'offer') client.send(from, { type: 'answer' });
        else if (data.type === 'answer') {
          pairsDone += 1;
          lastPairAt = performance.now();
        }
      });
      for (const member of known) client.send(member, { type: 'offer' });
    }),
  );
  while (pairsDone < pairsTotal && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  return { ok: pairsDone === pairsTotal, pairsDone, pairsTotal, ms: lastPairAt - started, error: pairsDone === pairsTotal ? undefined : `only ${pairsDone} of ${pairsTotal} pairs` };
}

async function run(command: Command): Promise<Reply> {
  switch (command.op) {
    case 'connect': {
      const started = performance.now();
      if (command.firstRoom !== undefined) roomCounter = Math.max(roomCounter, command.firstRoom);
      await connectMany(command.count, command.roomSize);
      return { ok: true, ms: performance.now() - started };
    }
    case 'hold':
      await new Promise((resolve) => setTimeout(resolve, command.seconds * 1000));
      return { ok: true };
    case 'disconnect':
      for (const client of clients) client.close();
      clients = [];
      return { ok: true };
    case 'relay':
      return relay(command.pairs, command.seconds, command.window, command.payloadBytes);
    case 'latency':
      return latency(command.pairs, command.ratePerSecond, command.seconds, command.payloadBytes, command.warmupSeconds ?? 0);
    case 'join-storm':
      return joinStorm(command.rooms, command.peersPerRoom, command.timeoutSeconds);
    case 'exit':
      for (const client of clients) client.close();
      setTimeout(() => process.exit(0), 50);
      return { ok: true };
  }
}

process.on('message', (command: Command) => {
  run(command).then(
    (reply) => process.send!(reply),
    (error: unknown) => process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.send!({ ok: true, phase: 'ready' });
