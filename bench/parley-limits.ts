/**
 * How Parley is configured in the benchmark: its defaults (log level included), except the limits
 * the load generator must get past. One address opening thousands of sockets and joining and
 * sending far faster than any browser would be refused, and the refusals measured instead of the
 * server. Those limits are raised, not turned off: every connection, join and frame still goes
 * through its check. A new limit of the server is one more line in RAISED_LIMITS.
 */
import { CONFIG_HELP, type ServerConfig } from '../signaling/config.js';

export const RAISED_LIMITS = {
  maxConnectionsPerIp: 100_000,
  maxConnections: 1_000_000,
  maxRooms: 1_000_000,
  maxRoomMembersPerIp: 256,
  joinsPerMinutePerIp: 1_000_000,
  joinsPerMinutePerRoom: 1_000_000,
  rateLimitPerSecond: 1_000_000,
  rateLimitBurst: 1_000_000,
} as const satisfies Partial<ServerConfig>;

/**
 * Settings left at their defaults on purpose: the harness sets where the server listens (its STUN
 * server on a free UDP port too, and for several instances the Redis they share), and the rest do
 * not stand in the load generator's way (rooms of at most 5, frames of about 1 KB, every client
 * joins at once and answers pings).
 */
const LEFT_AT_DEFAULT = new Set([
  'port', 'host', 'stun-port', 'stun-host', 'turn-urls', 'turn-secret', 'turn-ttl', 'metrics-port', 'metrics-host', 'redis-url', 'web-root', 'log-level', 'trust-proxy', 'allowed-origins', 'ice-servers', 'room-capacity', 'max-frame-bytes',
  'rate-limit-strikes', 'heartbeat-interval-ms', 'headers-timeout-ms', 'join-timeout-ms', 'shutdown-timeout-ms',
]);

function flagOf(setting: string): string {
  return setting.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** The command-line flags that raise the limits, for the server's own process. */
export function raisedLimitFlags(): string[] {
  return Object.entries(RAISED_LIMITS).flatMap(([setting, value]) => [`--${flagOf(setting)}`, String(value)]);
}

/**
 * Settings the server has that this file neither raises nor leaves at default on purpose: most
 * likely a limit added since, which may be refusing the load generator. The run reports them.
 */
export function unreviewedSettings(): string[] {
  const raised = new Set(Object.keys(RAISED_LIMITS).map(flagOf));
  const flags = [...CONFIG_HELP.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((match) => match[1]!);
  return flags.filter((flag) => flag !== 'help' && !raised.has(flag) && !LEFT_AT_DEFAULT.has(flag));
}
