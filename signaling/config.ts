/**
 * Every server setting, once: its environment variable, its command-line flag, its default and its
 * validation. `loadConfig()` turns env + argv into one typed, frozen object or throws ConfigError
 * with a message that names the offending setting.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { IceServerListSchema, type IceServer } from './protocol.js';

export interface ServerConfig {
  /** TCP port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind. `localhost` keeps the server private to this machine. */
  host: string;
  /** Most members one room may hold. */
  roomCapacity: number;
  /** ICE servers handed to every client in `welcome`; empty means host candidates only. */
  iceServers: IceServer[];
  /** Largest inbound frame that is parsed; larger ones get a `frame-too-large` error. */
  maxFrameBytes: number;
  /** Frames above this are not even buffered: the socket is closed with 1009. */
  hardFrameLimitBytes: number;
  /** How often every socket is pinged; a socket that missed the previous pong is dropped. */
  heartbeatIntervalMs: number;
  /** Folder with the built web app, served at `/`. */
  webRoot: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Trust X-Forwarded-* headers from a reverse proxy (for client addresses in logs). */
  trustProxy: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface IntegerSetting {
  kind: 'integer';
  min: number;
  max: number;
}
interface SettingSpec {
  env: string;
  flag: string;
  description: string;
}

const INTEGER_SETTINGS = {
  port: { env: 'PORT', flag: 'port', description: 'TCP port', kind: 'integer', min: 0, max: 65535 },
  roomCapacity: {
    env: 'ROOM_CAPACITY',
    flag: 'room-capacity',
    description: 'members per room',
    kind: 'integer',
    min: 2,
    max: 256,
  },
  maxFrameBytes: {
    env: 'MAX_FRAME_BYTES',
    flag: 'max-frame-bytes',
    description: 'largest parsed frame in bytes',
    kind: 'integer',
    min: 1024,
    max: 1024 * 1024,
  },
  heartbeatIntervalMs: {
    env: 'HEARTBEAT_INTERVAL_MS',
    flag: 'heartbeat-interval-ms',
    description: 'heartbeat interval in milliseconds',
    kind: 'integer',
    min: 100,
    max: 10 * 60 * 1000,
  },
} as const satisfies Record<string, SettingSpec & IntegerSetting>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_CONFIG: Readonly<ServerConfig> = Object.freeze({
  port: 8080,
  host: 'localhost',
  roomCapacity: 16,
  iceServers: [],
  maxFrameBytes: 64 * 1024,
  hardFrameLimitBytes: 1024 * 1024,
  heartbeatIntervalMs: 5000,
  webRoot: fileURLToPath(new URL('../web/', import.meta.url)),
  logLevel: 'info',
  trustProxy: false,
});

const validateIceServers = new Ajv({ allErrors: false }).compile<IceServer[]>(IceServerListSchema);

/** The `--help` text: every flag with its environment variable. */
export const CONFIG_HELP = `Usage: npm start -- [options]   (every option can also be set by its environment variable)

  --port N                   PORT                    TCP port (default 8080; 0 = any free port)
  --host NAME                HOST                    interface to bind (default localhost; 0.0.0.0 or :: for all)
  --room-capacity N          ROOM_CAPACITY           members per room, 2-256 (default 16)
  --ice-servers JSON         ICE_SERVERS             RTCIceServer list for clients (default [] = none)
  --max-frame-bytes N        MAX_FRAME_BYTES         largest accepted frame (default 65536)
  --heartbeat-interval-ms N  HEARTBEAT_INTERVAL_MS   ping interval; dead sockets drop within 2x (default 5000)
  --web-root DIR             WEB_ROOT                built web app to serve at / (default dist/web)
  --log-level LEVEL          LOG_LEVEL               ${LOG_LEVELS.join(', ')} (default info)
  --trust-proxy              TRUST_PROXY=1           trust X-Forwarded-* from a reverse proxy
  --help                                             print this text
`;

function parseInteger(raw: string, spec: SettingSpec & IntegerSetting): number {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new ConfigError(
      `${spec.env} (--${spec.flag}) must be a whole number from ${spec.min} to ${spec.max} (${spec.description}); got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function parseIceServers(raw: string): IceServer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(`ICE_SERVERS (--ice-servers) is not valid JSON: ${(error as Error).message}`);
  }
  if (!validateIceServers(parsed)) {
    const first = validateIceServers.errors?.[0];
    const where = first?.instancePath || '(top level)';
    throw new ConfigError(
      `ICE_SERVERS (--ice-servers) must be a JSON array of {"urls": "stun:…"|"turn:…"|[…], "username"?, "credential"?}; at ${where}: ${first?.message ?? 'invalid'}`,
    );
  }
  return parsed;
}

function parseBoolean(raw: string, name: string): boolean {
  const normalised = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalised)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(normalised)) return false;
  throw new ConfigError(`${name} must be true or false; got ${JSON.stringify(raw)}`);
}

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
        port: { type: 'string' },
        host: { type: 'string' },
        'room-capacity': { type: 'string' },
        'ice-servers': { type: 'string' },
        'max-frame-bytes': { type: 'string' },
        'heartbeat-interval-ms': { type: 'string' },
        'web-root': { type: 'string' },
        'log-level': { type: 'string' },
        'trust-proxy': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${CONFIG_HELP}`);
  }

  const pick = (flag: string, envName: string): string | undefined => {
    const fromFlag = flags[flag];
    if (typeof fromFlag === 'string') return fromFlag;
    return env[envName];
  };

  const config: ServerConfig = { ...DEFAULT_CONFIG, iceServers: [] };
  for (const [key, spec] of Object.entries(INTEGER_SETTINGS) as [keyof typeof INTEGER_SETTINGS, SettingSpec & IntegerSetting][]) {
    const raw = pick(spec.flag, spec.env);
    if (raw !== undefined) config[key] = parseInteger(raw, spec);
  }

  const host = pick('host', 'HOST');
  if (host !== undefined) {
    if (host.trim() === '') throw new ConfigError('HOST (--host) must not be empty');
    config.host = host.trim();
  }

  const iceServers = pick('ice-servers', 'ICE_SERVERS');
  if (iceServers !== undefined && iceServers.trim() !== '') config.iceServers = parseIceServers(iceServers);

  const webRoot = pick('web-root', 'WEB_ROOT');
  if (webRoot !== undefined && webRoot.trim() !== '') config.webRoot = webRoot;

  const logLevel = pick('log-level', 'LOG_LEVEL');
  if (logLevel !== undefined) {
    const level = logLevel.trim().toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new ConfigError(`LOG_LEVEL (--log-level) must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(logLevel)}`);
    }
    config.logLevel = level as ServerConfig['logLevel'];
  }

  if (flags['trust-proxy'] === true) config.trustProxy = true;
  else if (env.TRUST_PROXY !== undefined) config.trustProxy = parseBoolean(env.TRUST_PROXY, 'TRUST_PROXY');

  return { config: Object.freeze(config), help: flags.help === true };
}
