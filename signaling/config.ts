/**
 * Every server setting, once: its environment variable, its command-line flag, its default, its
 * help text and its validation. `loadConfig()` turns argv + env into one typed, frozen object, or
 * throws ConfigError with a message that names the offending setting.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { IceServer } from '../protocol/signaling.js';
import { IceServerListSchema } from './schemas.js';

export interface ServerConfig {
  /** TCP port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind. `localhost` keeps the server private to this machine. */
  host: string;
  /** Most members one room may hold. */
  roomCapacity: number;
  /** ICE servers handed to every client in `welcome` instead of the built-in STUN; empty: not set. */
  iceServers: IceServer[];
  /** UDP port of the built-in STUN server, listed in `welcome` unless ICE servers are set; 0 turns it off. */
  stunPort: number;
  /** Interface the STUN server binds; undefined: the same as `host`. */
  stunHost: string | undefined;
  /** TURN servers (turn:/turns: URLs) handed out with short-lived credentials; needs `turnSecret`. */
  turnUrls: string[];
  /** coturn's REST shared secret (`static-auth-secret`); credentials are made with it, never sent. */
  turnSecret: string | undefined;
  /** How long TURN credentials are good for, in seconds; clients refresh them before. */
  turnTtlSeconds: number;
  /** Redis for rooms shared by several instances (redis:// or rediss://); undefined: this instance alone. */
  redisUrl: string | undefined;
  /** Port of the separate /metrics listener; 0: no metrics served. */
  metricsPort: number;
  /** Interface of the /metrics listener (keep it private). */
  metricsHost: string;
  /** Largest inbound frame that is parsed; larger ones get a `frame-too-large` error. */
  maxFrameBytes: number;
  /** Frames above this are not even buffered: the socket is closed with 1009. */
  hardFrameLimitBytes: number;
  /** How often every socket is pinged; a socket that missed the previous pong is dropped. */
  heartbeatIntervalMs: number;
  /** A connection that has not joined a room after this long is closed (4004). */
  joinTimeoutMs: number;
  /** Sustained inbound frames per second per connection (token bucket refill rate). */
  rateLimitPerSecond: number;
  /** Frames a connection may send in a burst (token bucket size). */
  rateLimitBurst: number;
  /** Frames refused in a row, while over the limit, before the connection is closed (4008). */
  rateLimitStrikes: number;
  /** Open WebSocket connections allowed from one client address (an IPv6 /64 counts as one). */
  maxConnectionsPerIp: number;
  /** Open WebSocket connections allowed in all; beyond, the upgrade is refused with 503. */
  maxConnections: number;
  /** Rooms allowed at once; a join that would open one more is refused with `server-full`. */
  maxRooms: number;
  /** Members one client address may have in one room, so that no one address fills a room. */
  maxRoomMembersPerIp: number;
  /** Joins one client address may make per minute (also the burst allowed at once). */
  joinsPerMinutePerIp: number;
  /** Joins one room may take per minute, after a burst of twice its capacity (everyone rejoining). */
  joinsPerMinutePerRoom: number;
  /** A connection must have sent its request's headers within this long, or it is closed. */
  headersTimeoutMs: number;
  /**
   * Origins, besides the server's own, whose pages may open the WebSocket; ['*'] for any. Empty:
   * only the server's own origin (as the browser addressed it, through a trusted proxy too).
   */
  allowedOrigins: string[];
  /** On SIGTERM/SIGINT, exit after at most this long even if connections linger. */
  shutdownTimeoutMs: number;
  /** Folder with the built web app, served at `/`. */
  webRoot: string;
  logLevel: LogLevel;
  /**
   * Which X-Forwarded-* hops to believe (client address, host, protocol): false for none; a number
   * of proxies in front (the address that many hops back is the client); or the proxies' own
   * addresses and ranges (every hop from one of them is believed). Never "any": the client writes
   * the leftmost entries of X-Forwarded-For itself.
   */
  trustProxy: TrustProxy;
}

export type TrustProxy = false | number | string[];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_CONFIG: Readonly<ServerConfig> = Object.freeze({
  port: 8080,
  host: 'localhost',
  roomCapacity: 16,
  iceServers: [],
  stunPort: 3478,
  stunHost: undefined,
  turnUrls: [],
  turnSecret: undefined,
  turnTtlSeconds: 20 * 60,
  redisUrl: undefined,
  metricsPort: 0,
  metricsHost: '127.0.0.1',
  maxFrameBytes: 64 * 1024,
  hardFrameLimitBytes: 1024 * 1024,
  heartbeatIntervalMs: 30_000,
  joinTimeoutMs: 15_000,
  rateLimitPerSecond: 50,
  rateLimitBurst: 200,
  rateLimitStrikes: 50,
  maxConnectionsPerIp: 64,
  maxConnections: 10_000,
  maxRooms: 5_000,
  maxRoomMembersPerIp: 8,
  joinsPerMinutePerIp: 20,
  joinsPerMinutePerRoom: 60,
  headersTimeoutMs: 5_000,
  allowedOrigins: [],
  shutdownTimeoutMs: 5000,
  webRoot: fileURLToPath(new URL('../web/', import.meta.url)),
  logLevel: 'info',
  trustProxy: false,
});

interface Setting<K extends keyof ServerConfig> {
  key: K;
  env: string;
  flag: string;
  /** Placeholder shown after the flag in --help; absent for boolean flags. */
  arg?: string;
  help: string;
  parse(raw: string, setting: Setting<K>): ServerConfig[K];
}

function label(setting: { env: string; flag: string }): string {
  return `${setting.env} (--${setting.flag})`;
}

function integer(min: number, max: number) {
  return (raw: string, setting: { env: string; flag: string }): number => {
    const trimmed = raw.trim();
    const value = Number(trimmed);
    if (trimmed === '' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${label(setting)} must be a whole number from ${min} to ${max}; got ${JSON.stringify(raw)}`);
    }
    return value;
  };
}

function nonEmpty(raw: string, setting: { env: string; flag: string }): string {
  if (raw.trim() === '') throw new ConfigError(`${label(setting)} must not be empty`);
  return raw.trim();
}

/** Names proxy-addr knows for whole address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const MAX_PROXY_HOPS = 10;

function trustProxy(raw: string, setting: { env: string; flag: string }): TrustProxy {
  const value = raw.trim().toLowerCase();
  if (['', '0', 'false', 'no', 'off'].includes(value)) return false;
  // One proxy in front is what "on" has always meant; trusting every hop never is right.
  if (['true', 'yes', 'on'].includes(value)) return 1;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_PROXY_HOPS) throw new ConfigError(`${label(setting)} must be a number of proxies from 1 to ${MAX_PROXY_HOPS}, or their addresses; got ${JSON.stringify(raw)}`);
    return hops;
  }
  return value.split(',').map((entry) => {
    const trimmed = entry.trim();
    if (PROXY_RANGE_NAMES.includes(trimmed)) return trimmed;
    const [address = '', prefix, ...rest] = trimmed.split('/');
    const family = isIP(address);
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw new ConfigError(
        `${label(setting)} must be the number of proxies in front of Parley (1 for one nginx), or a comma-separated list of their addresses or ranges (e.g. 10.0.0.2, 10.1.0.0/16, ${PROXY_RANGE_NAMES.join(', ')}); ${JSON.stringify(trimmed)} is neither`,
      );
    }
    return trimmed;
  });
}

const validateIceServers = new Ajv({ allErrors: false }).compile<IceServer[]>(IceServerListSchema);

function iceServers(raw: string, setting: { env: string; flag: string }): IceServer[] {
  if (raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(`${label(setting)} is not valid JSON: ${(error as Error).message}`);
  }
  if (!validateIceServers(parsed)) {
    const first = validateIceServers.errors?.[0];
    throw new ConfigError(
      `${label(setting)} must be a JSON array of {"urls": "stun:…"|"turn:…"|[…], "username"?, "credential"?}; at ${first?.instancePath || '(top level)'}: ${first?.message ?? 'invalid'}`,
    );
  }
  return parsed;
}

function turnUrls(raw: string, setting: { env: string; flag: string }): string[] {
  if (raw.trim().toLowerCase() === 'none') return [];
  const list = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of list) {
    // turn:host[:port][?transport=udp|tcp], or turns:; the same form browsers accept.
    if (!/^turns?:(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/i.test(entry)) {
      throw new ConfigError(`${label(setting)}: ${JSON.stringify(entry)} is not a TURN URL such as turn:turn.example.org:3478 or turns:turn.example.org:5349?transport=tcp`);
    }
  }
  return list;
}

function secret(raw: string, setting: { env: string; flag: string }): string | undefined {
  if (raw === 'none') return undefined;
  // coturn reads its static-auth-secret up to the end of the line; a short one is guessable offline
  // from any credential a visitor sees.
  if (raw.length < 16 || /\s/.test(raw)) throw new ConfigError(`${label(setting)} must be at least 16 characters with no spaces (the same as coturn's static-auth-secret)`);
  return raw;
}

function redisUrl(raw: string, setting: { env: string; flag: string }): string | undefined {
  const value = raw.trim();
  if (value === '' || value.toLowerCase() === 'none') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${label(setting)} must be a Redis URL such as redis://127.0.0.1:6379 or rediss://user:password@redis.example.org:6380/0`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`${label(setting)} must start with redis:// or rediss://; got ${JSON.stringify(url.protocol)}`);
  }
  return value;
}

function origins(raw: string, setting: { env: string; flag: string }): string[] {
  const list = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  // "none" is the default written out: only the server's own origin.
  if (list.length === 1 && list[0]!.toLowerCase() === 'none') return [];
  if (list.length === 0) throw new ConfigError(`${label(setting)} must list at least one origin, or * for any, or none`);
  return list.map((entry) => {
    if (entry === '*') return entry;
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigError(`${label(setting)}: ${JSON.stringify(entry)} is not an origin such as https://example.org`);
    }
    if (url.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError(`${label(setting)}: ${JSON.stringify(entry)} must be just scheme://host[:port], without a path`);
    }
    return url.origin;
  });
}

function logLevel(raw: string, setting: { env: string; flag: string }): LogLevel {
  const level = raw.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`${label(setting)} must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(raw)}`);
  }
  return level as LogLevel;
}

type AnySetting = { [K in keyof ServerConfig]: Setting<K> }[keyof ServerConfig];

/** The settings table: the single place a setting is declared. Order is the --help order. */
const SETTINGS: readonly AnySetting[] = [
  { key: 'port', env: 'PORT', flag: 'port', arg: 'N', help: 'TCP port (default 8080; 0 = any free port)', parse: integer(0, 65535) },
  { key: 'host', env: 'HOST', flag: 'host', arg: 'NAME', help: 'interface to bind (default localhost; 0.0.0.0 or :: for all)', parse: nonEmpty },
  { key: 'roomCapacity', env: 'ROOM_CAPACITY', flag: 'room-capacity', arg: 'N', help: 'members per room, 2-256 (default 16)', parse: integer(2, 256) },
  { key: 'iceServers', env: 'ICE_SERVERS', flag: 'ice-servers', arg: 'JSON', help: 'RTCIceServer list for clients (default [] = none)', parse: iceServers },
  { key: 'stunPort', env: 'STUN_PORT', flag: 'stun-port', arg: 'N', help: 'UDP port of the built-in STUN server (default 3478; 0 = off)', parse: integer(0, 65535) },
  { key: 'stunHost', env: 'STUN_HOST', flag: 'stun-host', arg: 'NAME', help: 'interface the STUN server binds (default: the same as --host)', parse: nonEmpty },
  { key: 'turnUrls', env: 'TURN_URLS', flag: 'turn-urls', arg: 'LIST', help: 'comma-separated turn:/turns: URLs handed out with short-lived credentials (default: none)', parse: turnUrls },
  { key: 'turnSecret', env: 'TURN_SECRET', flag: 'turn-secret', arg: 'SECRET', help: 'coturn\'s static-auth-secret, to make TURN credentials with (needed with TURN_URLS)', parse: secret },
  { key: 'turnTtlSeconds', env: 'TURN_TTL', flag: 'turn-ttl', arg: 'SECONDS', help: 'how long TURN credentials last; clients refresh them (default 1200)', parse: integer(10, 86_400) },
  { key: 'redisUrl', env: 'REDIS_URL', flag: 'redis-url', arg: 'URL', help: 'share rooms with other instances through this Redis (default: none, this instance alone)', parse: redisUrl },
  { key: 'metricsPort', env: 'METRICS_PORT', flag: 'metrics-port', arg: 'N', help: 'serve Prometheus /metrics on this port, apart from the app (default 0 = off)', parse: integer(0, 65535) },
  { key: 'metricsHost', env: 'METRICS_HOST', flag: 'metrics-host', arg: 'NAME', help: 'interface of the /metrics listener (default 127.0.0.1)', parse: nonEmpty },
  { key: 'allowedOrigins', env: 'ALLOWED_ORIGINS', flag: 'allowed-origins', arg: 'LIST', help: 'comma-separated origins that may connect besides this server\'s own, or * (default: none)', parse: origins },
  { key: 'maxConnectionsPerIp', env: 'MAX_CONNECTIONS_PER_IP', flag: 'max-connections-per-ip', arg: 'N', help: 'open connections per client address or IPv6 /64 (default 64)', parse: integer(1, 100_000) },
  { key: 'maxConnections', env: 'MAX_CONNECTIONS', flag: 'max-connections', arg: 'N', help: 'open connections in all (default 10000)', parse: integer(1, 1_000_000) },
  { key: 'maxRooms', env: 'MAX_ROOMS', flag: 'max-rooms', arg: 'N', help: 'rooms at once (default 5000)', parse: integer(1, 1_000_000) },
  { key: 'maxRoomMembersPerIp', env: 'MAX_ROOM_MEMBERS_PER_IP', flag: 'max-room-members-per-ip', arg: 'N', help: 'members of one room from one client address (default 8)', parse: integer(1, 256) },
  { key: 'joinsPerMinutePerIp', env: 'JOINS_PER_MINUTE_PER_IP', flag: 'joins-per-minute-per-ip', arg: 'N', help: 'joins per client address per minute (default 20)', parse: integer(1, 1_000_000) },
  { key: 'joinsPerMinutePerRoom', env: 'JOINS_PER_MINUTE_PER_ROOM', flag: 'joins-per-minute-per-room', arg: 'N', help: 'joins per room per minute after a burst (default 60)', parse: integer(1, 1_000_000) },
  { key: 'rateLimitPerSecond', env: 'RATE_LIMIT_PER_SECOND', flag: 'rate-limit-per-second', arg: 'N', help: 'sustained frames per second per connection (default 50)', parse: integer(1, 1_000_000) },
  { key: 'rateLimitBurst', env: 'RATE_LIMIT_BURST', flag: 'rate-limit-burst', arg: 'N', help: 'frames allowed in a burst (default 200)', parse: integer(1, 1_000_000) },
  { key: 'rateLimitStrikes', env: 'RATE_LIMIT_STRIKES', flag: 'rate-limit-strikes', arg: 'N', help: 'refused frames in a row before closing with 4008 (default 50)', parse: integer(1, 1_000_000) },
  { key: 'maxFrameBytes', env: 'MAX_FRAME_BYTES', flag: 'max-frame-bytes', arg: 'N', help: 'largest accepted frame in bytes (default 65536)', parse: integer(1024, 1024 * 1024) },
  { key: 'heartbeatIntervalMs', env: 'HEARTBEAT_INTERVAL_MS', flag: 'heartbeat-interval-ms', arg: 'N', help: 'ping interval; dead sockets drop within 2x (default 30000)', parse: integer(100, 600_000) },
  { key: 'headersTimeoutMs', env: 'HEADERS_TIMEOUT_MS', flag: 'headers-timeout-ms', arg: 'N', help: 'close connections that have not sent their headers after this (default 5000)', parse: integer(500, 120_000) },
  { key: 'joinTimeoutMs', env: 'JOIN_TIMEOUT_MS', flag: 'join-timeout-ms', arg: 'N', help: 'close connections that have not joined after this (default 15000)', parse: integer(100, 3_600_000) },
  { key: 'shutdownTimeoutMs', env: 'SHUTDOWN_TIMEOUT_MS', flag: 'shutdown-timeout-ms', arg: 'N', help: 'longest graceful shutdown before exiting anyway (default 5000)', parse: integer(0, 600_000) },
  { key: 'webRoot', env: 'WEB_ROOT', flag: 'web-root', arg: 'DIR', help: 'built web app to serve at / (default dist/web)', parse: nonEmpty },
  { key: 'logLevel', env: 'LOG_LEVEL', flag: 'log-level', arg: 'LEVEL', help: `${LOG_LEVELS.join(', ')} (default info)`, parse: logLevel },
  { key: 'trustProxy', env: 'TRUST_PROXY', flag: 'trust-proxy', arg: 'N|LIST', help: 'proxies in front whose X-Forwarded-* to believe: a count, or addresses (default: none)', parse: trustProxy },
];

/** The `--help` text: every flag with its environment variable, from the settings table. */
export const CONFIG_HELP = [
  'Usage: npm start -- [options]   (each option can also be set by its environment variable)',
  '',
  ...SETTINGS.map((setting) => {
    const flag = `--${setting.flag}${setting.arg ? ` ${setting.arg}` : ''}`;
    const env = setting.arg ? setting.env : `${setting.env}=1`;
    return `  ${flag.padEnd(30)} ${env.padEnd(24)} ${setting.help}`;
  }),
  `  ${'--help'.padEnd(30)} ${''.padEnd(24)} print this text`,
  '',
].join('\n');

export interface LoadedConfig {
  config: ServerConfig;
  help: boolean;
}

/** Reads settings from flags first, then environment variables, then defaults. */
export function loadConfig(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let flags: Record<string, string | boolean | undefined>;
  try {
    ({ values: flags } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(SETTINGS.map((setting) => [setting.flag, { type: setting.arg ? 'string' : 'boolean' } as const])),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${CONFIG_HELP}`);
  }

  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const setting of SETTINGS) {
    const fromFlag = flags[setting.flag];
    const raw = fromFlag === true ? 'true' : typeof fromFlag === 'string' ? fromFlag : env[setting.env];
    if (raw === undefined) continue;
    config[setting.key] = (setting.parse as (raw: string, setting: AnySetting) => unknown)(raw, setting);
  }
  return { config: Object.freeze(config as unknown as ServerConfig), help: flags.help === true };
}

/**
 * Settings that only make sense together. Each alone is a valid value, so the entry point checks
 * the combination once everything is read (and stops with exit code 2 as for any invalid setting).
 */
export function checkSettingsTogether(config: ServerConfig): void {
  const turnUrlsSet = config.turnUrls.length > 0;
  if (turnUrlsSet === (config.turnSecret !== undefined)) return;
  throw new ConfigError(
    turnUrlsSet
      ? 'TURN_URLS (--turn-urls) needs TURN_SECRET (--turn-secret): the shared secret of the TURN server, to make each visitor short-lived credentials'
      : 'TURN_SECRET (--turn-secret) is set but TURN_URLS (--turn-urls) is not: list the TURN server URLs the secret is for',
  );
}

/** The interface the STUN server binds: STUN_HOST, else HOST ("localhost" as the IPv4 loopback, one family). */
export function stunBindHost(config: Pick<ServerConfig, 'stunHost' | 'host'>): string {
  return config.stunHost ?? (config.host === 'localhost' ? '127.0.0.1' : config.host);
}
