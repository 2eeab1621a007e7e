/**
 * Every figure the benchmark reports: its label, how to print it, and the goal it is judged by.
 * Anchors: `bare` is the least-work relay on Fastify, the framework floor (relay-frames.ts).
 */
import { SCALE_INSTANCES, SHARED_ROOMS_LATENCY_RATE } from './server-scenarios.js';

export interface Goal {
  text: string;
  met: boolean;
}

export interface Metric {
  id: string;
  label: string;
  format(value: number): string;
  goal?: (parley: number | undefined, anchors: { peerjs?: number; bare?: number; raw?: number }) => Goal | undefined;
}

const fixed = (digits: number, unit = '') => (value: number) => `${value.toFixed(digits)}${unit}`;
const thousands = (value: number) => Math.round(value).toLocaleString('en');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;

function atMost(limit: number, text: string) {
  return (parley: number | undefined): Goal | undefined => (parley === undefined ? undefined : { text, met: parley <= limit });
}

/**
 * Judged against the least-work Fastify relay (relay-frames.ts), which does nothing but route: 0.9×
 * leaves Parley a tenth for validation, limits and logging.
 */
function relayGoal(parley: number | undefined, { peerjs, bare }: { peerjs?: number; bare?: number }): Goal | undefined {
  if (parley === undefined || peerjs === undefined || bare === undefined) return undefined;
  return { text: '≥ 0.9× least-work relay, ≥ 1.0× PeerJS', met: parley >= 0.9 * bare && parley >= peerjs };
}

export const METRICS: Metric[] = [
  { id: 'idle.1000.rssPerConnectionBytes', label: 'RSS per connection, 1k idle', format: kib },
  { id: 'idle.5000.rssPerConnectionBytes', label: 'RSS per connection, 5k idle', format: kib },
  { id: 'idle.10000.rssPerConnectionBytes', label: 'RSS per connection, 10k idle', format: kib, goal: atMost(6.7 * 1024, '≤ 6.7 KiB') },
  { id: 'idle.50.rssPerConnectionBytes', label: 'RSS per connection, 50 idle (smoke)', format: kib },
  { id: 'idle.1000.connectionsPerCpuSecond', label: 'Joins per server CPU-second, first 1k (none held yet)', format: thousands },
  { id: 'joins.1kTo5k.perServerCpuSecond', label: 'Joins per server CPU-second, 1k → 5k, net of holding', format: thousands },
  { id: 'joins.5kTo10k.perServerCpuSecond', label: 'Joins per server CPU-second, 5k → 10k, net of holding', format: thousands },
  { id: 'joins.5kTo10k.perServerCpuSecondGross', label: 'Joins per server CPU-second, 5k → 10k, gross', format: thousands },
  { id: 'idle.25.connectionsPerCpuSecond', label: 'Joins per server CPU-second, first 25 (none held yet, smoke)', format: thousands },
  { id: 'joins.25To50.perServerCpuSecond', label: 'Joins per server CPU-second, 25 → 50, net of holding (smoke)', format: thousands },
  { id: 'joins.25To50.perServerCpuSecondGross', label: 'Joins per server CPU-second, 25 → 50, gross (smoke)', format: thousands },
  { id: 'idle.1000.holdCpuPercent', label: 'Server CPU holding 1k idle', format: fixed(2, ' %') },
  { id: 'idle.5000.holdCpuPercent', label: 'Server CPU holding 5k idle', format: fixed(2, ' %') },
  { id: 'idle.10000.holdCpuPercent', label: 'Server CPU holding 10k idle (heartbeats on)', format: fixed(2, ' %'), goal: atMost(1, '≤ 1 %') },
  { id: 'idle.50.holdCpuPercent', label: 'Server CPU holding 50 idle (smoke)', format: fixed(2, ' %') },
  { id: 'relay.messagesPerSecond', label: 'Relay, 4 in flight per pair: messages/s (500 pairs, 1 KB)', format: thousands },
  { id: 'relay.messagesPerServerCpuSecond', label: 'Relay, 4 in flight per pair: messages per server CPU-second', format: thousands, goal: relayGoal },
  { id: 'relay.serverCpuPercent', label: 'Relay, 4 in flight per pair: server CPU', format: fixed(0, ' %') },
  { id: 'relay.window1.messagesPerSecond', label: 'Relay, 1 in flight per pair: messages/s (500 pairs, 1 KB)', format: thousands },
  { id: 'relay.window1.messagesPerServerCpuSecond', label: 'Relay, 1 in flight per pair: messages per server CPU-second', format: thousands, goal: relayGoal },
  { id: 'relay.window1.serverCpuPercent', label: 'Relay, 1 in flight per pair: server CPU', format: fixed(0, ' %') },
  { id: 'latency.p50Ms', label: 'Latency p50 at 5,000 msg/s', format: fixed(3, ' ms') },
  {
    id: 'latency.p99Ms',
    label: 'Latency p99 at 5,000 msg/s',
    format: fixed(3, ' ms'),
    goal: (parley, { bare }) => (parley === undefined || bare === undefined ? undefined : { text: "p99 ≤ least-work Fastify relay's in the same run", met: parley <= bare }),
  },
  { id: 'latency.maxMs', label: 'Latency max at 5,000 msg/s', format: fixed(2, ' ms') },
  { id: 'latency.achievedRate', label: 'Offered rate achieved', format: thousands },
  { id: 'joinStorm.ms', label: 'Join storm 200 rooms × 5: all pairs signalled', format: fixed(0, ' ms'), goal: atMost(600, '≤ 600 ms') },
  { id: 'p2p.linkToChannelOpenMs', label: 'Link opened → data channel open', format: fixed(0, ' ms') },
  {
    id: 'p2p.linkToFirstMessageMs',
    label: 'Link opened → first message delivered',
    format: fixed(0, ' ms'),
    goal: (parley, { raw }) => (parley === undefined || raw === undefined ? undefined : { text: '≤ 1.2× raw', met: parley <= 1.2 * raw }),
  },
  { id: 'p2p.chatLatencyP50Ms', label: 'Chat message latency p50 (one way)', format: fixed(2, ' ms') },
  { id: 'p2p.chatLatencyP99Ms', label: 'Chat message latency p99 (one way)', format: fixed(2, ' ms') },
  {
    id: 'p2p.bulkMiBPerSecond',
    label: 'Bulk throughput, 32 MiB in 64 KiB chunks',
    format: fixed(1, ' MiB/s'),
    goal: (parley, { raw }) => (parley === undefined || raw === undefined ? undefined : { text: '≥ 0.8× raw', met: parley >= 0.8 * raw }),
  },
  {
    id: 'p2p.fileMiBPerSecond',
    label: 'File transfer, 128 MiB, steady state (Parley: streamed to disk, hashed, checked)',
    format: fixed(1, ' MiB/s'),
    goal: (parley, { raw }) => (parley === undefined || raw === undefined ? undefined : { text: '≥ 0.8× raw', met: parley >= 0.8 * raw }),
  },
  { id: 'p2p.fileWholeMiBPerSecond', label: 'File transfer, 128 MiB, whole (from Download, on a fresh channel)', format: fixed(1, ' MiB/s') },
  { id: 'p2p.fileCpuMsPerMiB', label: 'File transfer: machine CPU per MiB moved', format: fixed(0, ' ms') },
  { id: 'p2p.fileRendererGrowthMiB', label: 'File transfer: most any renderer’s memory grew meanwhile', format: fixed(0, ' MiB') },
  { id: 'p2p.mesh2Ms', label: 'Mesh of 2: all connected', format: fixed(0, ' ms') },
  { id: 'p2p.mesh4Ms', label: 'Mesh of 4: all connected', format: fixed(0, ' ms') },
  { id: 'p2p.mesh6Ms', label: 'Mesh of 6: all connected', format: fixed(0, ' ms') },
  { id: 'p2p.mesh8Ms', label: 'Mesh of 8: all connected', format: fixed(0, ' ms'), goal: atMost(3000, '≤ 3 s') },
  { id: 'bundle.embedGzipKiB', label: 'Embeddable element bundle, gzip', format: fixed(1, ' KiB'), goal: atMost(60, '≤ 60 KiB') },
  { id: 'bundle.appGzipKiB', label: 'Standalone app (JS + CSS + HTML), gzip', format: fixed(1, ' KiB') },
];

/**
 * The figures of the network-path scenario (network-paths.ts), printed in a table of their own: one
 * column a path, ratios against the direct path. No goal has been set for them.
 */
export const PATH_METRICS: Metric[] = [
  { id: 'paths.linkToFirstMessageMs', label: 'Link opened → first message shown (Parley app)', format: fixed(0, ' ms') },
  { id: 'paths.bulkMiBPerSecond', label: 'Throughput, raw data channel, 8 MiB in 64 KiB chunks', format: fixed(2, ' MiB/s') },
];

const sharedRoomsRate = SHARED_ROOMS_LATENCY_RATE.toLocaleString('en');

/**
 * The figures of the shared-rooms scenario (server-scenarios.ts), printed in a table of their own:
 * one Parley instance beside two sharing rooms through Redis, each pair split across the two. The
 * server's CPU is the instances' and redis-server's together. No goal has been set for them.
 */
export const SHARED_ROOMS_METRICS: Metric[] = [
  { id: 'redis.relay.messagesPerSecond', label: 'Relay, 4 in flight per pair: messages/s (500 pairs, 1 KB)', format: thousands },
  { id: 'redis.relay.messagesPerServerCpuSecond', label: 'Relay, 4 in flight per pair: messages per CPU-second (instances + Redis)', format: thousands },
  { id: 'redis.relay.serverCpuPercent', label: 'Relay, 4 in flight per pair: CPU (instances + Redis)', format: fixed(0, ' %') },
  { id: 'redis.relay.redisCpuPercent', label: 'Relay, 4 in flight per pair: CPU of redis-server alone', format: fixed(0, ' %') },
  { id: 'redis.relay.window1.messagesPerSecond', label: 'Relay, 1 in flight per pair: messages/s (500 pairs, 1 KB)', format: thousands },
  { id: 'redis.relay.window1.messagesPerServerCpuSecond', label: 'Relay, 1 in flight per pair: messages per CPU-second (instances + Redis)', format: thousands },
  { id: 'redis.relay.window1.serverCpuPercent', label: 'Relay, 1 in flight per pair: CPU (instances + Redis)', format: fixed(0, ' %') },
  { id: 'redis.relay.window1.redisCpuPercent', label: 'Relay, 1 in flight per pair: CPU of redis-server alone', format: fixed(0, ' %') },
  { id: 'redis.latency.p50Ms', label: `Latency p50 at ${sharedRoomsRate} msg/s, after 1 s warm-up`, format: fixed(3, ' ms') },
  { id: 'redis.latency.p99Ms', label: `Latency p99 at ${sharedRoomsRate} msg/s, after 1 s warm-up`, format: fixed(3, ' ms') },
  { id: 'redis.latency.maxMs', label: `Latency max at ${sharedRoomsRate} msg/s, after 1 s warm-up`, format: fixed(2, ' ms') },
  { id: 'redis.latency.achievedRate', label: 'Offered rate achieved', format: thousands },
  { id: 'redis.latency.serverCpuPercent', label: `CPU at ${sharedRoomsRate} msg/s (instances + Redis)`, format: fixed(0, ' %') },
];

const mib = (value: number) => `${value.toFixed(0)} MiB`;

/** The scale stretch (server-scenarios.ts scaleScenario): one column, no anchor, no goal. */
export const SCALE_METRICS: Metric[] = [
  { id: 'scale.connections', label: 'Idle members joined and held (rooms of 5, each room across instances)', format: thousands },
  { id: 'scale.instances', label: 'Parley instances (one redis-server)', format: thousands },
  { id: 'scale.joinsPerServerCpuSecond', label: 'Joins per CPU-second (instances + Redis)', format: thousands },
  { id: 'scale.joinsPerSecond', label: `Joins per second (${SCALE_INSTANCES} load generators on the same 2 cores)`, format: thousands },
  { id: 'scale.rssMiB', label: 'Memory holding them: RSS of the instances + Redis', format: mib },
  { id: 'scale.rssPerConnectionBytes', label: 'RSS per member (instances + Redis)', format: kib },
  { id: 'scale.holdCpuPercent', label: 'CPU holding them, over one 30 s heartbeat interval (instances + Redis)', format: fixed(1, ' %') },
];
