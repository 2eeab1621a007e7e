// The settings table in README.md, row by row, against the server. For every row: the variable
// and the flag exist and set the same setting, the documented default is the real one, and an
// invalid value is refused with a message naming the setting. Where a setting is cheap to watch at
// work, a server configured from the README's names does what the Meaning column says.
// Elsewhere: parsing details in config.test.ts; PORT, HOST and SHUTDOWN_TIMEOUT_MS in
// server-process.test.ts; HEARTBEAT_INTERVAL_MS, JOIN_TIMEOUT_MS and RATE_LIMIT_* at work in
// signal-route.test.ts.
import { createConnection } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocketClient from 'ws';
import { CloseCode, ErrorCode, HttpRefusal, PROTOCOL_VERSION } from '../../protocol/signaling.js';
import { CONFIG_HELP, ConfigError, DEFAULT_CONFIG, loadConfig, stunBindHost, type ServerConfig } from '../../signaling/config.js';
import { newParticipant } from '../support/participant.js';
import { startServer, type RunningServer } from '../support/server.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TestClient } from '../support/ws-client.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
const BUILT_CONFIG = join(PROJECT_ROOT, 'dist/signaling/config.js');

interface DocumentedSetting {
  env: string;
  flag: string;
  default: string;
  meaning: string;
}

/** The rows of the table headed "Environment variable | Flag | Default | Meaning". */
function documentedSettings(): DocumentedSetting[] {
  const lines = README.split('\n');
  const header = lines.findIndex((line) => /^\|\s*Environment variable\s*\|\s*Flag\s*\|\s*Default\s*\|\s*Meaning\s*\|\s*$/.test(line));
  if (header < 0) throw new Error('README.md has no settings table');
  const rows = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  return rows.map(([env = '', flag = '', defaultValue = '', meaning = '']) => {
    const code = (cell: string): string => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell;
    return { env: code(env), flag: code(flag), default: code(defaultValue), meaning };
  });
}

/** What --help lists: each flag, its variable, and whether the flag is a switch (shown as VAR=1). */
function helpSettings(): { flag: string; env: string; isSwitch: boolean }[] {
  return [...CONFIG_HELP.matchAll(/^ {2}(--[a-z-]+)(?: [A-Z|]+)? +([A-Z_]+)(=1)? /gm)].map(([, flag = '', env = '', switchMark]) => ({
    flag,
    env,
    isSwitch: switchMark !== undefined,
  }));
}

/** A valid value that is not the default, and an invalid one, for every documented setting. */
const EXAMPLES: Record<string, { valid: string; invalid: string }> = {
  PORT: { valid: '9123', invalid: '65536' },
  HOST: { valid: '127.0.0.1', invalid: ' ' },
  ROOM_CAPACITY: { valid: '5', invalid: 'lots' },
  STUN_PORT: { valid: '3479', invalid: '70000' },
  METRICS_PORT: { valid: '9464', invalid: 'on' },
  REDIS_URL: { valid: 'redis://127.0.0.1:6379', invalid: 'http://127.0.0.1:6379' },
  METRICS_HOST: { valid: '0.0.0.0', invalid: '' },
  STUN_HOST: { valid: '0.0.0.0', invalid: ' ' },
  TURN_URLS: { valid: 'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349', invalid: 'http://turn.example.org' },
  TURN_SECRET: { valid: 'a-long-shared-secret-of-coturn', invalid: 'short' },
  TURN_TTL: { valid: '600', invalid: '20m' },
  ICE_SERVERS: { valid: '[{"urls":"turn:127.0.0.1:3478","username":"u","credential":"c"}]', invalid: '[{"urls":"http://127.0.0.1"}]' },
  ALLOWED_ORIGINS: { valid: 'https://a.example, https://b.example:8443', invalid: 'https://a.example/chat' },
  MAX_CONNECTIONS_PER_IP: { valid: '2', invalid: '0' },
  MAX_CONNECTIONS: { valid: '2', invalid: '-5' },
  MAX_ROOMS: { valid: '1', invalid: 'many' },
  MAX_ROOM_MEMBERS_PER_IP: { valid: '2', invalid: '257' },
  JOINS_PER_MINUTE_PER_IP: { valid: '2', invalid: '0.5' },
  JOINS_PER_MINUTE_PER_ROOM: { valid: '1', invalid: '0' },
  HEADERS_TIMEOUT_MS: { valid: '1000', invalid: '100' },
  RATE_LIMIT_PER_SECOND: { valid: '7', invalid: '2.5' },
  RATE_LIMIT_BURST: { valid: '9', invalid: '-1' },
  RATE_LIMIT_STRIKES: { valid: '3', invalid: '' },
  MAX_FRAME_BYTES: { valid: '2048', invalid: String(1024 * 1024 + 1) },
  HEARTBEAT_INTERVAL_MS: { valid: '1000', invalid: '30s' },
  JOIN_TIMEOUT_MS: { valid: '500', invalid: '1e9' },
  SHUTDOWN_TIMEOUT_MS: { valid: '100', invalid: 'never' },
  WEB_ROOT: { valid: '/srv/parley', invalid: '  ' },
  LOG_LEVEL: { valid: 'debug', invalid: 'verbose' },
  TRUST_PROXY: { valid: '1', invalid: 'maybe' },
};

/** The settings that differ from the defaults. */
function changedSettings(config: ServerConfig): Partial<ServerConfig> {
  return Object.fromEntries(
    Object.entries(config).filter(([key, value]) => !isDeepStrictEqual(value, DEFAULT_CONFIG[key as keyof ServerConfig])),
  ) as Partial<ServerConfig>;
}

const documented = documentedSettings();
const help = helpSettings();

function exampleOf(setting: DocumentedSetting): { valid: string; invalid: string } {
  const example = EXAMPLES[setting.env];
  if (!example) throw new Error(`add an example value for ${setting.env} to this test`);
  return example;
}

/** What a row's variable set to its example value changes: exactly one setting. */
function setByVariable(setting: DocumentedSetting): Partial<ServerConfig> {
  const changed = changedSettings(loadConfig([], { [setting.env]: exampleOf(setting).valid }).config);
  expect(Object.keys(changed)).toHaveLength(1);
  return changed;
}

const keyOf = (setting: DocumentedSetting): keyof ServerConfig => Object.keys(setByVariable(setting))[0] as keyof ServerConfig;

function flagArgs(setting: DocumentedSetting, value: string): string[] {
  const isSwitch = help.find((entry) => entry.env === setting.env)?.isSwitch ?? false;
  if (!isSwitch) return [setting.flag, value];
  // A switch takes no value: given, it is on; anything after '=' is refused.
  return value === exampleOf(setting).valid ? [setting.flag] : [`${setting.flag}=${value}`];
}

function refusal(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n')[0]!;
  }
  throw new Error('the value was accepted');
}

describe('the README settings table', () => {
  it('lists every setting the server has, with its flag', () => {
    expect(documented.length).toBeGreaterThan(0);
    const byEnv = (a: { env: string }, b: { env: string }): number => a.env.localeCompare(b.env);
    expect(documented.map(({ env, flag }) => ({ env, flag })).sort(byEnv)).toEqual(help.map(({ env, flag }) => ({ env, flag })).sort(byEnv));
  });

  describe.each(documented)('$env ($flag)', (setting) => {
    it('is set by the variable and by the flag alike', () => {
      expect(changedSettings(loadConfig(flagArgs(setting, exampleOf(setting).valid), {}).config)).toEqual(setByVariable(setting));
    });

    it(`defaults to ${setting.default}`, async () => {
      const asDocumented = loadConfig([], { [setting.env]: setting.default }).config;
      if (setting.env === 'WEB_ROOT') {
        // A folder of the project as built: the built config (which `npm start` runs) looks beside itself.
        const built = (await import(BUILT_CONFIG)) as typeof import('../../signaling/config.js');
        expect(resolve(built.DEFAULT_CONFIG.webRoot)).toBe(resolve(PROJECT_ROOT, asDocumented.webRoot));
        return;
      }
      if (setting.env === 'STUN_HOST') {
        // "HOST": whatever HOST is, with localhost taken as the IPv4 loopback.
        expect(setting.default).toBe('HOST');
        expect(stunBindHost(loadConfig([], { HOST: '198.51.100.4' }).config)).toBe('198.51.100.4');
        expect(stunBindHost(loadConfig([], {}).config)).toBe('127.0.0.1');
        return;
      }
      const key = keyOf(setting);
      expect(asDocumented[key]).toEqual(DEFAULT_CONFIG[key]);
    });

    it('refuses an invalid value, naming the setting', () => {
      const { invalid } = exampleOf(setting);
      const fromEnv = refusal(() => loadConfig([], { [setting.env]: invalid }));
      expect(fromEnv).toContain(setting.env);
      expect(fromEnv).toContain(setting.flag);
      expect(refusal(() => loadConfig(flagArgs(setting, invalid), {}))).toContain(setting.flag);
    });

    // "(2–256)": both ends accepted, one past either end refused.
    const range = /\((\d+)–(\d+)\)/.exec(setting.meaning);
    if (range) {
      it(`accepts exactly ${range[1]} to ${range[2]}`, () => {
        const [low, high] = [Number(range[1]), Number(range[2])];
        for (const value of [low, high]) expect(() => loadConfig([], { [setting.env]: String(value) })).not.toThrow();
        for (const value of [low - 1, high + 1]) expect(() => loadConfig([], { [setting.env]: String(value) })).toThrow(setting.env);
      });
    }
  });

  it.each(['HOST', 'LOG_LEVEL'])('accepts each value the Meaning of %s names, as is', (env) => {
    const setting = documented.find((candidate) => candidate.env === env)!;
    const key = keyOf(setting);
    const values = [...setting.meaning.matchAll(/`([^`]+)`/g)].map(([, value]) => value!);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(loadConfig([], { [env]: value }).config[key]).toBe(value);
  });
});

// ---- what the settings do, on a running server --------------------------------------------------

const ROOM = 'r'.repeat(43);
const ICE_SERVERS = [{ urls: ['stun:127.0.0.1:3478', 'turn:127.0.0.1:3478?transport=udp'], username: 'parley', credential: 'secret' }];
const WEB_ROOT = mkdtempSync(join(tmpdir(), 'parley-web-root-'));
writeFileSync(join(WEB_ROOT, 'index.html'), '<!doctype html><title>Served from WEB_ROOT</title>');

let server: RunningServer | undefined;
let serverProcess: ServerProcess | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
  serverProcess?.child.kill('SIGKILL');
  serverProcess = undefined;
});

afterAll(() => rmSync(WEB_ROOT, { recursive: true, force: true }));

async function connect(running: RunningServer, options: WebSocketClient.ClientOptions = {}): Promise<TestClient> {
  const client = await TestClient.connect(running.signalUrl, options);
  clients.push(client);
  return client;
}

/** Joins ROOM as a new participant; the caller awaits the answer it expects. */
function sendJoin(client: TestClient): void {
  client.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM, ...newParticipant() });
}

const forwardedFor = (address: string): WebSocketClient.ClientOptions => ({ headers: { 'X-Forwarded-For': address } });

/** The HTTP answer to an upgrade the server refuses: its status and Retry-After header. */
function refusedUpgrade(running: RunningServer): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocketClient(running.signalUrl);
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      response.resume();
      socket.terminate();
    });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', () => undefined);
  });
}

/** Joins `room` on a fresh connection and resolves with the error and close it gets. */
async function refusedJoin(running: RunningServer, room: string): Promise<{ code: string; retryAfterMs: number | undefined; closeCode: number }> {
  const client = await connect(running);
  client.send({ type: 'join', v: PROTOCOL_VERSION, room, ...newParticipant() });
  const error = await client.next('error');
  return { code: error.code, retryAfterMs: error.retryAfterMs, closeCode: (await client.closed).code };
}

/** A frame of exactly `bytes` bytes that the server answers with an error of its own kind. */
const frameOf = (bytes: number): string => JSON.stringify({ type: 'padding', text: 'x'.repeat(bytes - 28) });

const EFFECTS: { env: Record<string, string>; does: string; check(running: RunningServer): Promise<void> }[] = [
  {
    env: { ROOM_CAPACITY: '2' },
    does: 'a third person is refused with room-full and closed with 4002',
    async check(running) {
      for (let member = 0; member < 2; member += 1) {
        const client = await connect(running);
        sendJoin(client);
        await client.next('welcome');
      }
      const third = await connect(running);
      sendJoin(third);
      expect(await third.next('error')).toMatchObject({ code: ErrorCode.RoomFull });
      expect((await third.closed).code).toBe(CloseCode.RoomFull);
    },
  },
  {
    env: { MAX_CONNECTIONS_PER_IP: '2' },
    does: 'a third connection from one address is refused with 429',
    async check(running) {
      await connect(running);
      await connect(running);
      await expect(connect(running)).rejects.toThrow(String(HttpRefusal.TooManyConnections.status));
    },
  },
  {
    env: { MAX_CONNECTIONS_PER_IP: '1' },
    does: 'X-Forwarded-For is not believed: one address, whatever it claims',
    async check(running) {
      await connect(running, forwardedFor('198.51.100.1'));
      await expect(connect(running, forwardedFor('198.51.100.2'))).rejects.toThrow(String(HttpRefusal.TooManyConnections.status));
    },
  },
  {
    env: { MAX_CONNECTIONS_PER_IP: '1', TRUST_PROXY: '1' },
    does: 'connections are counted per address the proxy forwarded, the last entry, whatever the client wrote before it',
    async check(running) {
      await connect(running, forwardedFor('198.51.100.1'));
      await connect(running, forwardedFor('198.51.100.2'));
      await expect(connect(running, forwardedFor('198.51.100.1'))).rejects.toThrow(String(HttpRefusal.TooManyConnections.status));
      // The client prepended a made-up address; the proxy appended the one it saw.
      await expect(connect(running, forwardedFor('203.0.113.77, 198.51.100.1'))).rejects.toThrow(String(HttpRefusal.TooManyConnections.status));
    },
  },
  {
    env: { MAX_CONNECTIONS_PER_IP: '1', TRUST_PROXY: '127.0.0.1' },
    does: 'hops from the listed proxy address are believed, the first other address is the client',
    async check(running) {
      await connect(running, forwardedFor('203.0.113.77, 198.51.100.1'));
      await expect(connect(running, forwardedFor('203.0.113.78, 198.51.100.1'))).rejects.toThrow(String(HttpRefusal.TooManyConnections.status));
      await connect(running, forwardedFor('198.51.100.2'));
    },
  },
  {
    env: { MAX_CONNECTIONS_PER_IP: '2', TRUST_PROXY: '1' },
    does: 'an IPv6 /64 counts as one address',
    async check(running) {
      await connect(running, forwardedFor('2001:db8:0:1::1'));
      await connect(running, forwardedFor('2001:db8:0:1:ffff::2'));
      await expect(connect(running, forwardedFor('2001:db8:0:1::3'))).rejects.toThrow(String(HttpRefusal.TooManyConnections.status));
      // The next /64 is someone else.
      await connect(running, forwardedFor('2001:db8:0:2::1'));
    },
  },
  {
    env: { MAX_CONNECTIONS: '2' },
    does: 'a third connection, from any address, is refused with 503 and Retry-After',
    async check(running) {
      await connect(running);
      await connect(running, forwardedFor('198.51.100.9'));
      expect(await refusedUpgrade(running)).toEqual({ status: HttpRefusal.ServerFull.status, retryAfter: '60' });
    },
  },
  {
    env: { MAX_ROOMS: '1' },
    does: 'a join that would open a second room gets server-full, retry after a minute, and 4029',
    async check(running) {
      const first = await connect(running);
      await first.join(ROOM);
      expect(await refusedJoin(running, 's'.repeat(43))).toEqual({ code: ErrorCode.ServerFull, retryAfterMs: 60_000, closeCode: CloseCode.TryLater });
      // The room that exists still takes members.
      await (await connect(running)).join(ROOM);
    },
  },
  {
    env: { MAX_ROOM_MEMBERS_PER_IP: '2' },
    does: 'a third member of one room from one address gets room-full; another room still works',
    async check(running) {
      for (let member = 0; member < 2; member += 1) await (await connect(running)).join(ROOM);
      const third = await refusedJoin(running, ROOM);
      expect(third).toMatchObject({ code: ErrorCode.RoomFull, closeCode: CloseCode.RoomFull });
      await (await connect(running)).join('s'.repeat(43));
    },
  },
  {
    env: { JOINS_PER_MINUTE_PER_IP: '2' },
    does: 'a third join within a minute from one address gets join-rate-limited with retryAfterMs, and 4029',
    async check(running) {
      const client = await connect(running);
      await client.join(ROOM);
      client.send({ type: 'leave' });
      await client.join(ROOM);
      client.send({ type: 'leave' });
      const third = await refusedJoin(running, ROOM);
      expect(third).toMatchObject({ code: ErrorCode.JoinRateLimited, closeCode: CloseCode.TryLater });
      // The next join is due in half a minute (two a minute), less the moments this test took.
      expect(third.retryAfterMs).toBeGreaterThan(25_000);
      expect(third.retryAfterMs).toBeLessThanOrEqual(30_000);
    },
  },
  {
    env: { JOINS_PER_MINUTE_PER_ROOM: '1', ROOM_CAPACITY: '2' },
    does: 'a room takes a burst of twice its capacity, then joins get join-rate-limited',
    async check(running) {
      const churner = await connect(running);
      for (let join = 0; join < 4; join += 1) {
        await churner.join(ROOM);
        churner.send({ type: 'leave' });
      }
      expect(await refusedJoin(running, ROOM)).toMatchObject({ code: ErrorCode.JoinRateLimited, closeCode: CloseCode.TryLater });
      // Another room is not held back by this one.
      await (await connect(running)).join('s'.repeat(43));
    },
  },
  {
    env: { HEADERS_TIMEOUT_MS: '1000' },
    does: 'a connection that never finishes its request headers is closed',
    async check(running) {
      const socket = createConnection({ host: '127.0.0.1', port: running.port });
      socket.on('error', () => undefined);
      // Read what the server answers (a 408), or the close is never seen.
      socket.resume();
      socket.write('GET /signal HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
      const started = performance.now();
      await new Promise((resolve) => socket.once('close', resolve));
      // Closed after the timeout (checked every second), not at once and not a minute later.
      expect(performance.now() - started).toBeGreaterThan(900);
      expect(performance.now() - started).toBeLessThan(4000);
    },
  },
  {
    env: { MAX_FRAME_BYTES: '2048' },
    does: 'a frame of 2048 bytes is read, one a byte larger gets frame-too-large',
    async check(running) {
      const client = await connect(running);
      expect(Buffer.byteLength(frameOf(2048))).toBe(2048);
      client.sendRaw(frameOf(2048));
      expect(await client.next('error')).toMatchObject({ code: ErrorCode.UnknownType });
      client.sendRaw(frameOf(2049));
      expect(await client.next('error')).toMatchObject({ code: ErrorCode.FrameTooLarge });
    },
  },
  {
    env: { ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443' },
    does: 'pages from each listed origin connect, and from others get 403',
    async check(running) {
      await connect(running, { origin: 'https://a.example' });
      await connect(running, { origin: 'https://b.example:8443' });
      await expect(connect(running, { origin: 'https://b.example' })).rejects.toThrow(String(HttpRefusal.OriginNotAllowed.status));
      await connect(running, { origin: running.origin });
    },
  },
  {
    env: { ALLOWED_ORIGINS: 'none' },
    does: 'only pages of the server itself connect (the default)',
    async check(running) {
      await connect(running, { origin: running.origin });
      await expect(connect(running, { origin: 'https://a.example' })).rejects.toThrow(String(HttpRefusal.OriginNotAllowed.status));
    },
  },
  {
    env: { ALLOWED_ORIGINS: '*' },
    does: 'pages from any origin connect',
    async check(running) {
      await connect(running, { origin: 'https://anything.example' });
    },
  },
  {
    env: { ICE_SERVERS: JSON.stringify(ICE_SERVERS) },
    does: 'the welcome hands out exactly these ICE servers',
    async check(running) {
      const client = await connect(running);
      sendJoin(client);
      expect((await client.next('welcome')).iceServers).toEqual(ICE_SERVERS);
    },
  },
  {
    env: { WEB_ROOT },
    does: 'the app at / is served from that folder',
    async check(running) {
      expect(await (await fetch(`${running.origin}/`)).text()).toContain('Served from WEB_ROOT');
    },
  },
];

describe('what the settings do, on a server configured from environment variables', () => {
  it.each(EFFECTS.map((effect) => ({ ...effect, name: Object.entries(effect.env).map(([env, value]) => `${env}=${value}`).join(' ') })))(
    '$name: $does',
    async ({ env, check }) => {
      server = await startServer(changedSettings(loadConfig([], env).config));
      await check(server);
    },
  );

  it.each([
    ['debug', true],
    ['info', false],
  ])('--log-level %s: joins are logged: %s', async (level, logsJoins) => {
    // The built server as its own process: the log goes to its standard output. The last
    // --log-level given wins over the helper's own.
    serverProcess = await startServerProcess(['--log-level', level, '--max-connections-per-ip', '1']);
    const url = `ws://127.0.0.1:${serverProcess.port}/signal`;
    const client = await TestClient.connect(url);
    clients.push(client);
    sendJoin(client);
    await client.next('welcome');
    // A refusal is logged as a warning at both levels, after the join: once it shows, so would the join.
    // Joins are debug lines: one per join costs a busy server about a third more CPU per join.
    await expect(TestClient.connect(url)).rejects.toThrow(String(HttpRefusal.TooManyConnections.status));
    await expect.poll(() => serverProcess!.output()).toContain('refused a connection over MAX_CONNECTIONS_PER_IP');
    expect(serverProcess.output().includes('peer joined room')).toBe(logsJoins);
    // Upgrades are logged with joins, and never with the client's address.
    expect(serverProcess.output().includes('websocket upgrade')).toBe(logsJoins);
    expect(serverProcess.output()).not.toMatch(/remoteAddress|remotePort/);
  });
});
