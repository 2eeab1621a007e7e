/**
 * The signaling-server scenarios. Each runs once against one server kind (a fresh server process
 * and a fresh load generator) and returns its figures; CPU is measured per window from /proc,
 * including what other processes used, so disturbed runs can be repeated.
 */
import { cpuWindow, processRssBytes, type CpuWindow } from './proc-stats.js';
import { startLoadGenerator, startServerProcess } from './server-processes.js';
import { signalUrl, type ServerKind } from './signal-clients.js';

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

async function withServer<T>(kind: ServerKind, body: (server: { pid: number }, generator: Awaited<ReturnType<typeof startLoadGenerator>>) => Promise<T>): Promise<T> {
  const server = await startServerProcess(kind);
  const generator = await startLoadGenerator(kind, signalUrl(kind, server.port));
  try {
    return await body(server, generator);
  } finally {
    await generator.stop();
    await server.stop();
  }
}

function check(reply: { ok: boolean; error?: string }, what: string): void {
  if (!reply.ok) throw new Error(`${what}: ${reply.error ?? 'failed'}`);
}

/** Idle connections joined to rooms of 5: memory and CPU to accept and to hold them. */
export async function idleScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  const levels = options.smoke ? [50] : [1000, 5000, 10_000];
  return withServer(kind, async (server, generator) => {
    const figures: Record<string, number> = {};
    const windows: CpuWindow[] = [];
    await settle(500);
    const baselineRss = processRssBytes(server.pid);
    let connected = 0;
    for (const level of levels) {
      const accepting = cpuWindow(server.pid, [generator.pid, process.pid]);
      check(await generator.run({ op: 'connect', count: level - connected, roomSize: 5 }), `connect ${level}`);
      const accepted = accepting();
      windows.push(accepted);
      const newConnections = level - connected;
      connected = level;
      await settle(options.smoke ? 100 : 1000);
      figures[`idle.${level}.rssPerConnectionBytes`] = (processRssBytes(server.pid) - baselineRss) / level;
      figures[`idle.${level}.connectionsPerCpuSecond`] = newConnections / Math.max(accepted.server, 0.01);
      // Long enough to see the steady heartbeat cost: Parley spreads one ping per connection over
      // its interval (30 s by default), and PeerJS clients beat every 5 s. Longer at 10k, where
      // the goal applies.
      const holdSeconds = options.smoke ? 0.5 : level === 10_000 ? 10 : 5;
      const holding = cpuWindow(server.pid, [generator.pid, process.pid]);
      check(await generator.run({ op: 'hold', seconds: holdSeconds }), 'hold');
      const held = holding();
      windows.push(held);
      figures[`idle.${level}.holdCpuPercent`] = (held.server / held.wallSeconds) * 100;
    }
    return { figures, disturbance: disturbanceOf(windows), notes: [] };
  });
}

/** 500 pairs relaying ~1 KB signals with a bounded window: throughput and CPU cost per message. */
export async function relayScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  return withServer(kind, async (server, generator) => {
    let window: (() => CpuWindow) | undefined;
    const reply = await generator.run<{ delivered: number; seconds: number }>(
      { op: 'relay', pairs: options.smoke ? 10 : 500, seconds: options.smoke ? 0.5 : 10, window: 4, payloadBytes: 1024 },
      (phase) => {
        if (phase === 'measuring') window = cpuWindow(server.pid, [generator.pid, process.pid]);
      },
    );
    check(reply, 'relay');
    const measured = window!();
    return {
      figures: {
        'relay.messagesPerSecond': reply.delivered / reply.seconds,
        'relay.messagesPerServerCpuSecond': reply.delivered / Math.max(measured.server, 0.01),
        'relay.serverCpuPercent': (measured.server / measured.wallSeconds) * 100,
      },
      disturbance: disturbanceOf([measured]),
      notes: [],
    };
  });
}

/** Latency at a fixed offered load of 5,000 messages per second. */
export async function latencyScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  return withServer(kind, async (server, generator) => {
    let window: (() => CpuWindow) | undefined;
    const reply = await generator.run<{ p50: number; p99: number; max: number; sent: number; received: number; achievedRate: number }>(
      { op: 'latency', pairs: options.smoke ? 5 : 100, ratePerSecond: options.smoke ? 500 : 5000, seconds: options.smoke ? 0.5 : 10, payloadBytes: 1024 },
      (phase) => {
        if (phase === 'measuring') window = cpuWindow(server.pid, [generator.pid, process.pid]);
      },
    );
    check(reply, 'latency');
    const measured = window!();
    const notes = reply.received < reply.sent ? [`${reply.sent - reply.received} of ${reply.sent} messages not received within 5 s`] : [];
    return {
      figures: { 'latency.p50Ms': reply.p50, 'latency.p99Ms': reply.p99, 'latency.maxMs': reply.max, 'latency.achievedRate': reply.achievedRate },
      disturbance: disturbanceOf([measured]),
      notes,
    };
  });
}

/** 200 rooms × 5 peers joining at once: time until every pair has exchanged a signal. */
export async function joinStormScenario(kind: ServerKind, options: ServerScenarioOptions): Promise<ScenarioResult> {
  return withServer(kind, async (server, generator) => {
    const window = cpuWindow(server.pid, [generator.pid, process.pid]);
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
