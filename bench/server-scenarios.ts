/**
 * The signaling-server scenarios. Each runs once against one server kind (a fresh server, of one
 * process or several, and a fresh load generator) and returns its figures; CPU is measured per
 * window from /proc, including what other processes used, so disturbed runs can be repeated.
 */
import { cpuWindow, processRssBytes, type CpuWindow } from './proc-stats.js';
import { Redis } from 'ioredis';
import { pinToCore, startLoadGenerator, startServer, startSharedServer, type LoadGenerator, type ServerPart } from './server-processes.js';
import type { ServerKind } from './signal-clients.js';

export interface ScenarioResult {
  figures: Record<string, number>;
  /** CPU seconds per wall second used by other processes in the measured windows (0–2 here). */
  disturbance: number;
  notes: string[];
}

export interface ServerScenarioOptions {
  /** Shrinks every scenario to a second or so (the smoke test). */
  smoke: boolean;
}

function disturbanceOf(windows: CpuWindow[]): number {
  const others = windows.reduce((sum, window) => sum + window.others, 0);
  const wall = windows.reduce((sum, window) => sum + window.wallSeconds, 0);
  return wall > 0 ? others / wall : 0;
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ServerUnderLoad {
  /** Every process of the server: its CPU and memory are the server's. */
  pids: number[];
  parts: ServerPart[];
  /** Whether the server (all its processes) and the load generator each had a core of their own. */
  pinned: boolean;
}

async function withServer<T>(kind: ServerKind, body: (server: ServerUnderLoad, generator: LoadGenerator) => Promise<T>, { pinCores = false } = {}): Promise<T> {
  const server = await startServer(kind);
  try {
    const generator = await startLoadGenerator(kind, server.urls);
    try {
      const pinned = pinCores && server.parts.every((part) => pinToCore(part.pid, 0)) && pinToCore(generator.pid, 1);
      return await body({ pids: server.parts.map((part) => part.pid), parts: server.parts, pinned }, generator);
    } finally {
      await generator.stop();
    }
  } finally {
    await server.stop();
  }
}

function serverRssBytes(server: ServerUnderLoad): number {
  return server.pids.reduce((sum, pid) => sum + processRssBytes(pid), 0);
}

/** `instance 1 1.20 s, instance 2 1.10 s, redis-server 0.70 s of CPU in 10.0 s`, for a server of several processes. */
function cpuByPart(server: ServerUnderLoad, window: CpuWindow): string {
  const parts = server.parts.map((part, index) => `${part.role} ${window.serverByProcess[index]!.toFixed(2)} s`).join(', ');
  return `${parts} of CPU in ${window.wallSeconds.toFixed(1)} s`;
}

/** Redis's share of a window's server CPU, where the server has a redis-server; else undefined. */
function redisCpuPercent(server: ServerUnderLoad, window: CpuWindow): number | undefined {
  const index = server.parts.findIndex((part) => part.role === 'redis-server');
  return index < 0 ? undefined : (window.serverByProcess[index]! / window.wallSeconds) * 100;
}

function check(reply: { ok: boolean; error?: string }, what: string): void {
  if (!reply.ok) throw new Error(`${what}: ${reply.error ?? 'failed'}`);
}

/** `5000` → `5k`, for figure ids. */
function shortCount(count: number): string {
  return count >= 1000 && count % 1000 === 0 ? `${count / 1000}k` : String(count);
}

/**
 * Idle connections joined to rooms of 5: memory and CPU to accept and to hold them, at each level.
 * Each level's connections join as browsers do: open a socket, send the join, wait for the
 * welcome (PeerJS: open with ?id&token&key, wait for OPEN), 100 at a time. Every join window after
 * the first follows a hold window, whose CPU rate (heartbeats: PeerJS clients send one every 5 s,
 * Parley pings each socket every 30 s) is subtracted from the join window's CPU, so the joins
 * figure is what joining costs, net of holding those already there; the gross figure is kept too.
 */
export async function idleScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  const levels = options.smoke ? [25, 50] : [1000, 5000, 10_000];
  return withServer(kind, async (server, generator) => {
    const figures: Record<string, number> = {};
    const notes: string[] = [];
    const windows: CpuWindow[] = [];
    await settle(500);
    const baselineRss = serverRssBytes(server);
    let connected = 0;
    /** Server CPU seconds per wall second in the hold window just before, if there was one. */
    let holdingRate: number | undefined;
    for (const level of levels) {
      const accepting = cpuWindow(server.pids, [generator.pid, process.pid]);
      check(await generator.run({ op: 'connect', count: level - connected, roomSize: 5 }), `connect ${level}`);
      const accepted = accepting();
      windows.push(accepted);
      const newConnections = level - connected;
      if (holdingRate === undefined) {
        figures[`idle.${level}.connectionsPerCpuSecond`] = newConnections / Math.max(accepted.server, 0.01);
      } else {
        const step = `joins.${shortCount(connected)}To${shortCount(level)}`;
        const holding = holdingRate * accepted.wallSeconds;
        figures[`${step}.perServerCpuSecondGross`] = newConnections / Math.max(accepted.server, 0.01);
        figures[`${step}.perServerCpuSecond`] = newConnections / Math.max(accepted.server - holding, 0.01);
        notes.push(`${shortCount(connected)} → ${shortCount(level)} joins: ${accepted.server.toFixed(2)} s server CPU in ${accepted.wallSeconds.toFixed(1)} s, of which ${holding.toFixed(2)} s holding`);
      }
      connected = level;
      await settle(options.smoke ? 100 : 1000);
      figures[`idle.${level}.rssPerConnectionBytes`] = (serverRssBytes(server) - baselineRss) / level;
      // Long enough to see the steady heartbeat cost: Parley spreads one ping per connection over
      // its interval (30 s by default), and PeerJS clients beat every 5 s. Longer from 5k on: the
      // 5k rate is subtracted from the measured join window, and the 10k one has a goal.
      const holdSeconds = options.smoke ? 0.5 : level >= 5000 ? 10 : 5;
      const holdingWindow = cpuWindow(server.pids, [generator.pid, process.pid]);
      check(await generator.run({ op: 'hold', seconds: holdSeconds }), 'hold');
      const held = holdingWindow();
      windows.push(held);
      holdingRate = held.server / held.wallSeconds;
      figures[`idle.${level}.holdCpuPercent`] = holdingRate * 100;
    }
    return { figures, disturbance: disturbanceOf(windows), notes };
  });
}

/**
 * The relay's two load shapes, each a closed loop over 500 pairs: every pair keeps `window`
 * messages in flight (one arrives, the next goes). Four in flight lets frames to one socket share
 * a write; one in flight is a signal exchange's usual rhythm, and costs more per message.
 */
const RELAY_SHAPES = [
  { window: 4, figurePrefix: 'relay' },
  { window: 1, figurePrefix: 'relay.window1' },
] as const;

/** 500 pairs relaying ~1 KB signals in each load shape: throughput and CPU cost per message. */
export async function relayScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  return measureRelay(kind, options, '');
}

/** The relay scenario, its figure ids prefixed with `scope`. */
async function measureRelay(kind: ServerKind, options: ServerScenarioOptions, scope: string): Promise<ScenarioResult> {
  const figures: Record<string, number> = {};
  const notes: string[] = [];
  const windows: CpuWindow[] = [];
  // A fresh server for each shape, so neither inherits the other's connections or heap.
  for (const { window: inFlight, figurePrefix } of RELAY_SHAPES) {
    await withServer(kind, async (server, generator) => {
      let window: (() => CpuWindow) | undefined;
      const reply = await generator.run<{ delivered: number; seconds: number }>(
        { op: 'relay', pairs: options.smoke ? 10 : 500, seconds: options.smoke ? 0.5 : 10, window: inFlight, payloadBytes: 1024 },
        (phase) => {
          if (phase === 'measuring') window = cpuWindow(server.pids, [generator.pid, process.pid]);
        },
      );
      check(reply, `relay, ${inFlight} in flight`);
      const measured = window!();
      windows.push(measured);
      const prefix = `${scope}${figurePrefix}`;
      figures[`${prefix}.messagesPerSecond`] = reply.delivered / reply.seconds;
      figures[`${prefix}.messagesPerServerCpuSecond`] = reply.delivered / Math.max(measured.server, 0.01);
      figures[`${prefix}.serverCpuPercent`] = (measured.server / measured.wallSeconds) * 100;
      const redisPercent = redisCpuPercent(server, measured);
      if (redisPercent !== undefined) figures[`${prefix}.redisCpuPercent`] = redisPercent;
      if (server.parts.length > 1) notes.push(`relay, ${inFlight} in flight: ${cpuByPart(server, measured)}`);
    });
  }
  return { figures, disturbance: disturbanceOf(windows), notes };
}

/** Latency at a fixed offered load of 5,000 messages per second. */
export async function latencyScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  return measureLatency(kind, options, { ratePerSecond: 5000, warmupSeconds: 0, scope: '' });
}

/** The latency scenario at `ratePerSecond`, after `warmupSeconds` at that rate, its figure ids prefixed with `scope`. */
async function measureLatency(
  kind: ServerKind,
  options: ServerScenarioOptions,
  { ratePerSecond, warmupSeconds, scope }: { ratePerSecond: number; warmupSeconds: number; scope: string },
): Promise<ScenarioResult> {
  // The server and the load generator on a core each: a latency tail is then the server's, not the
  // two taking turns on one core. A server of several processes has the one core for them all.
  return withServer(kind, async (server, generator) => {
    let window: (() => CpuWindow) | undefined;
    const reply = await generator.run<{ p50: number; p99: number; max: number; sent: number; received: number; achievedRate: number }>(
      {
        op: 'latency',
        pairs: options.smoke ? 5 : 100,
        ratePerSecond: options.smoke ? ratePerSecond / 10 : ratePerSecond,
        seconds: options.smoke ? 0.5 : 10,
        payloadBytes: 1024,
        warmupSeconds: options.smoke ? Math.min(warmupSeconds, 0.2) : warmupSeconds,
      },
      (phase) => {
        if (phase === 'measuring') window = cpuWindow(server.pids, [generator.pid, process.pid]);
      },
    );
    check(reply, 'latency');
    const measured = window!();
    const notes = reply.received < reply.sent ? [`${reply.sent - reply.received} of ${reply.sent} messages not received within 5 s`] : [];
    if (!server.pinned) notes.push('the server and the load generator shared the cores (they could not be given one each)');
    if (server.parts.length > 1) notes.push(`latency: ${cpuByPart(server, measured)}`);
    return {
      figures: {
        [`${scope}latency.p50Ms`]: reply.p50,
        [`${scope}latency.p99Ms`]: reply.p99,
        [`${scope}latency.maxMs`]: reply.max,
        [`${scope}latency.achievedRate`]: reply.achievedRate,
        [`${scope}latency.serverCpuPercent`]: (measured.server / measured.wallSeconds) * 100,
      },
      disturbance: disturbanceOf([measured]),
      notes,
    };
  }, { pinCores: true });
}

/**
 * The offered rate of the cross-instance latency figures, for one instance and for two over Redis
 * alike: the latency scenario's.
 */
export const SHARED_ROOMS_LATENCY_RATE = 5000;
/**
 * Sent before the measured window, for one instance and for two alike, as the relay warms up: the
 * first second across instances runs cold and queues messages for ~200 ms (docs/performance.md).
 */
const SHARED_ROOMS_LATENCY_WARMUP_SECONDS = 1;

/**
 * One Parley instance against two sharing rooms through Redis (run it with 'parley' and
 * 'parleyRedis'). Each pair's members sit on different instances, so every signal goes instance →
 * Redis → instance: the relay in both load shapes, with the CPU of both instances and redis-server
 * counted as the server's, and latency at a fixed offered rate. Figure ids start with `redis.`.
 */
export async function sharedRoomsScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  const relay = await measureRelay(kind, options, 'redis.');
  const latency = await measureLatency(kind, options, { ratePerSecond: SHARED_ROOMS_LATENCY_RATE, warmupSeconds: SHARED_ROOMS_LATENCY_WARMUP_SECONDS, scope: 'redis.' });
  return {
    figures: { ...relay.figures, ...latency.figures },
    disturbance: Math.max(relay.disturbance, latency.disturbance),
    notes: [...relay.notes, ...latency.notes],
  };
}

/** 200 rooms × 5 peers joining at once: time until every pair has exchanged a signal. */
export async function joinStormScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  return withServer(kind, async (server, generator) => {
    const window = cpuWindow(server.pids, [generator.pid, process.pid]);
    const reply = await generator.run<{ ms: number; pairsDone: number; pairsTotal: number }>({
      op: 'join-storm',
      rooms: options.smoke ? 4 : 200,
      peersPerRoom: 5,
      timeoutSeconds: 30,
    });
    check(reply, 'join storm');
    return { figures: { 'joinStorm.ms': reply.ms }, disturbance: disturbanceOf([window()]), notes: [] };
  });
}

/**
 * The scale stretch: 100,000 idle members joined to rooms of 5 across six instances sharing rooms
 * through Redis (a process here may hold 20,000 descriptors, so neither one instance nor five can
 * hold them), each room's members on different instances. Six load generators, for the same
 * reason. Reports what it took to join them all (per CPU-second of the instances and Redis), the
 * memory they hold, and the CPU of holding them through a full heartbeat interval. Figure ids
 * start with `scale.`.
 */
export const SCALE_INSTANCES = 6;
const SCALE_CONNECTIONS = 100_000;
const SCALE_ROOM_SIZE = 5;
/** Parley pings every socket once per 30 s heartbeat interval: holding is measured over one. */
const SCALE_HOLD_SECONDS = 30;

export async function scaleScenario(_kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  const instances = options.smoke ? 2 : SCALE_INSTANCES;
  // Whole rooms per generator, so that no room is split between two generators.
  const perGenerator = Math.ceil((options.smoke ? 100 : SCALE_CONNECTIONS) / instances / SCALE_ROOM_SIZE) * SCALE_ROOM_SIZE;
  const roomsPerGenerator = perGenerator / SCALE_ROOM_SIZE;
  const server = await startSharedServer(instances);
  const generators: LoadGenerator[] = [];
  try {
    for (let index = 0; index < instances; index += 1) generators.push(await startLoadGenerator('parleyRedis', server.urls));
    const pids = server.parts.map((part) => part.pid);
    const loadPids = [...generators.map((generator) => generator.pid), process.pid];
    const underLoad: ServerUnderLoad = { pids, parts: server.parts, pinned: false };
    await settle(500);
    const baselineRss = serverRssBytes(underLoad);

    const joining = cpuWindow(pids, loadPids);
    const replies = await Promise.all(generators.map((generator, index) => generator.run({ op: 'connect', count: perGenerator, roomSize: SCALE_ROOM_SIZE, firstRoom: index * roomsPerGenerator })));
    const joined = joining();
    replies.forEach((reply, index) => check(reply, `generator ${index + 1} connecting ${perGenerator}`));
    const total = perGenerator * instances;

    // Redis is the one place that knows every member: count them there.
    const redis = new Redis(server.redisUrl!, { lazyConnect: true });
    await redis.connect();
    const [rooms, members] = (await redis.eval("local n = 0 for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do n = n + redis.call('HLEN', 'parley:room:' .. room) end return {redis.call('SCARD', KEYS[1]), n}", 1, 'parley:rooms')) as [number, number];
    redis.disconnect();
    if (members !== total) throw new Error(`Redis lists ${members} members in ${rooms} rooms, not ${total}`);

    await settle(options.smoke ? 200 : 3000);
    const rss = serverRssBytes(underLoad);
    const holding = cpuWindow(pids, loadPids);
    await Promise.all(generators.map((generator) => generator.run({ op: 'hold', seconds: options.smoke ? 0.5 : SCALE_HOLD_SECONDS })));
    const held = holding();
    const rssByPart = server.parts.map((part) => `${part.role} ${(processRssBytes(part.pid) / 2 ** 20).toFixed(0)} MiB`).join(', ');
    const generatorsRss = generators.reduce((sum, generator) => sum + processRssBytes(generator.pid), 0);
    return {
      figures: {
        'scale.connections': total,
        'scale.instances': instances,
        'scale.joinsPerServerCpuSecond': total / Math.max(joined.server, 0.01),
        'scale.joinsPerSecond': total / joined.wallSeconds,
        'scale.rssMiB': rss / 2 ** 20,
        'scale.rssPerConnectionBytes': (rss - baselineRss) / total,
        'scale.holdCpuPercent': (held.server / held.wallSeconds) * 100,
      },
      disturbance: disturbanceOf([joined, held]),
      notes: [
        `${total.toLocaleString('en')} members joined to ${rooms.toLocaleString('en')} rooms of ${SCALE_ROOM_SIZE} across ${instances} instances (Redis counted them) in ${joined.wallSeconds.toFixed(1)} s: ${cpuByPart(underLoad, joined)}; the ${instances} load generators used ${joined.load.toFixed(1)} s`,
        `holding them: ${cpuByPart(underLoad, held)}`,
        `memory while holding: ${rssByPart}; the load generators ${(generatorsRss / 2 ** 20).toFixed(0)} MiB`,
      ],
    };
  } finally {
    await Promise.all(generators.map((generator) => generator.stop()));
    await server.stop();
  }
}
