// A real coturn (Debian's 4.6) for a test, run in the foreground from docs/coturn.conf, so that the
// configuration we ship to operators is the one the tests relay through. Only what a test machine
// must change is changed: the lines an operator EDITs (addresses, secret, realm), the ports, TLS
// (no certificate here), where the log goes, and coturn's state files.
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';

export const SHIPPED_COTURN_CONFIG = fileURLToPath(new URL('../../docs/coturn.conf', import.meta.url));
export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

/** Starts a process and returns it with stdout and stderr piped (a test may wrap it: `ip netns exec`). */
export type SpawnCommand = (command: string, args: readonly string[]) => ChildProcess;

export interface CoturnOptions {
  /** listening-ip and relay-ip: the one address coturn listens and relays on. */
  listenAddress: string;
  /** static-auth-secret: the same value as the Parley server's TURN_SECRET. */
  secret: string;
  realm?: string;
  /** UDP (and TCP) port to listen on; if not given, a free one (and another if it gets taken). */
  port?: number;
  /**
   * Lets coturn relay to 127.0.0.1, which two browsers on one machine need (their relay addresses
   * are loopback addresses). Never for a deployment: the shipped file denies it.
   */
  allowLoopbackPeers?: boolean;
  /** How coturn and its readiness probe are started; a network-namespace test runs them inside. */
  spawn?: SpawnCommand;
}

export interface RunningCoturn {
  port: number;
  /** turn:<address>:<port>?transport=udp */
  url: string;
  /** Everything coturn printed so far (stdout and stderr). */
  log(): string;
  stop(): Promise<void>;
}

export interface TestConfigSettings {
  listenAddress: string;
  secret: string;
  realm: string;
  port: number;
  relayPorts: { min: number; max: number };
  /** A directory of the test's own for coturn's database and pid file. */
  stateDirectory: string;
  allowLoopbackPeers: boolean;
}

const DEFAULT_REALM = 'parley.test';
// Ports come from below Linux's ephemeral range (32768-60999), where the browsers' and every other
// test's sockets live: a port found free there was taken again before coturn bound it.
const LISTENING_PORT_FLOOR = 10_000;
const LISTENING_PORT_CEILING = 20_000;
const LISTENING_PORT_ATTEMPTS = 5;
/** Relay ports a test may use; browsers hold one or two allocations each. */
const RELAY_PORT_COUNT = 64;
const RELAY_PORT_FLOOR = 20_000;
const RELAY_PORT_CEILING = 32_000;
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const PORT_WATCH_INTERVAL_MS = 50;

/** The values a test puts in place of the operator's (each must be in the shipped file once). */
const REPLACED_OPTIONS = ['listening-ip', 'relay-ip', 'static-auth-secret', 'realm', 'listening-port', 'min-port', 'max-port'] as const;
type ReplacedOption = (typeof REPLACED_OPTIONS)[number];

/**
 * Options left out on a test machine: TLS (there is no certificate; `no-tls`/`no-dtls` are added),
 * logging to syslog (the test reads the log from stdout instead), and state files the test places.
 */
const DROPPED_OPTIONS = new Set(['tls-listening-port', 'cert', 'pkey', 'syslog', 'no-stdout-log', 'log-file', 'userdb', 'pidfile']);
const DROPPED_OPTION_PATTERN = /^no-tlsv1/;

/**
 * What coturn 4.6 prints when it does not take a configuration line as meant: an unknown or
 * malformed option, contradictory options. "CONFIG WARNING" (allow-loopback-peers) is expected.
 */
const CONFIG_PROBLEM = /^.*(Bad configuration format|Unknown argument|CONFIG ERROR|CONFIGURATION ALERT|Check config!|Wrong .*format).*$/gm;
/** coturn retries a listener whose port is taken for ever, saying so: EADDRINUSE is errno 98. */
const LISTENER_PORT_TAKEN = /Trying to bind fd \d+ to <[^>]*>: errno=98/;

/** coturn could not bind its listening port: another process has it. */
class ListeningPortTakenError extends Error {}

/**
 * docs/coturn.conf rewritten for a test: the EDIT values, ports and log replaced, TLS removed, and
 * (for loopback tests) loopback peers allowed. Throws if the shipped file lacks a line the test
 * replaces, so a renamed option cannot silently leave the operator's value in place.
 */
export function testConfigFromShipped(shipped: string, settings: TestConfigSettings): string {
  const replacements: Record<ReplacedOption, string> = {
    'listening-ip': settings.listenAddress,
    'relay-ip': settings.listenAddress,
    'static-auth-secret': settings.secret,
    realm: settings.realm,
    'listening-port': String(settings.port),
    'min-port': String(settings.relayPorts.min),
    'max-port': String(settings.relayPorts.max),
  };
  const replacedCount = new Map<string, number>();
  const lines = shipped.split('\n').flatMap((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return [line];
    // coturn reads the rest of the line as the value, and for some options stops at start on it.
    if (/\s#/.test(trimmed)) throw new Error(`docs/coturn.conf line ${index + 1} has a comment after its option: ${trimmed}`);
    const [name = '', value = ''] = trimmed.split(/=(.*)/s);
    if (DROPPED_OPTIONS.has(name) || DROPPED_OPTION_PATTERN.test(name)) return [];
    // allow-loopback-peers only lifts coturn's built-in loopback check; a denied-peer-ip range is
    // checked after it and still refuses 127.0.0.1 (coturn 4.6 good_peer_addr(), and measured:
    // "A peer IP 127.0.0.1 denied in the range"), so a loopback test drops the range covering it.
    if (settings.allowLoopbackPeers && name === 'denied-peer-ip' && rangeCoversLoopback(value)) return [];
    if (name in replacements) {
      replacedCount.set(name, (replacedCount.get(name) ?? 0) + 1);
      return [`${name}=${replacements[name as ReplacedOption]}`];
    }
    return [line];
  });
  for (const name of REPLACED_OPTIONS) {
    const count = replacedCount.get(name) ?? 0;
    if (count !== 1) throw new Error(`docs/coturn.conf should set ${name} exactly once (it does ${count} times): the test replaces it`);
  }
  return [
    ...lines,
    '# --- added for a test (test/support/coturn.ts) ---',
    'no-tls',
    'no-dtls',
    'log-file=stdout',
    `userdb=${join(settings.stateDirectory, 'turndb')}`,
    `pidfile=${join(settings.stateDirectory, 'turnserver.pid')}`,
    ...(settings.allowLoopbackPeers ? ['allow-loopback-peers'] : []),
    '',
  ].join('\n');
}

/** Whether a denied-peer-ip value (one address or `first-last`) includes 127.0.0.1. */
function rangeCoversLoopback(value: string): boolean {
  const [first = '', last = first] = value.split('-');
  if (!ipaddr.IPv4.isValid(first) || !ipaddr.IPv4.isValid(last)) return false;
  const toNumber = (address: string): number => ipaddr.IPv4.parse(address).toByteArray().reduce((sum, byte) => sum * 256 + byte, 0);
  const loopback = toNumber('127.0.0.1');
  return toNumber(first) <= loopback && loopback <= toNumber(last);
}

const spawnPiped: SpawnCommand = (command, args) => spawnProcess(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Sends STUN Binding requests (RFC 8489; coturn answers them without credentials) every 100 ms
 * until one is answered, then exits 0. Run as a child through the same spawn hook as coturn, so it
 * asks from wherever coturn runs (a network namespace too). Arguments: address, port.
 */
const STUN_PROBE_SCRIPT = `
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
const [address, port] = process.argv.slice(1);
const transactionId = randomBytes(12);
const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), transactionId]);
const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
socket.on('message', (answer) => {
  if (answer.length >= 20 && answer.readUInt16BE(0) === 0x0101 && answer.subarray(8, 20).equals(transactionId)) process.exit(0);
});
socket.on('error', () => undefined);
const ask = () => socket.send(request, Number(port), address, () => undefined);
ask();
setInterval(ask, 100);
`;

/** Starts coturn from docs/coturn.conf and resolves once it answers STUN on its port. */
export async function startCoturn(options: CoturnOptions): Promise<RunningCoturn> {
  if (options.port !== undefined) return startCoturnOn(options, options.port);
  // A plain spawn shares this process's ports, so a port is checked first; in a namespace of its
  // own, coturn has the ports to itself.
  const checkHere = options.spawn === undefined;
  for (let attempt = 1; ; attempt += 1) {
    const port = randomInt(LISTENING_PORT_FLOOR, LISTENING_PORT_CEILING);
    try {
      if (checkHere && !(await isPortFree(options.listenAddress, port))) throw new ListeningPortTakenError(`${options.listenAddress}:${port} is taken`);
      return await startCoturnOn(options, port);
    } catch (error) {
      if (!(error instanceof ListeningPortTakenError) || attempt === LISTENING_PORT_ATTEMPTS) throw error;
    }
  }
}

async function startCoturnOn(options: CoturnOptions, port: number): Promise<RunningCoturn> {
  const { listenAddress, secret, realm = DEFAULT_REALM, allowLoopbackPeers = false, spawn = spawnPiped } = options;
  const relayFloor = randomInt(RELAY_PORT_FLOOR, RELAY_PORT_CEILING - RELAY_PORT_COUNT);
  const stateDirectory = await mkdtemp(join(tmpdir(), 'parley-coturn-'));
  const configPath = join(stateDirectory, 'turnserver.conf');
  const shipped = await readFile(SHIPPED_COTURN_CONFIG, 'utf8');
  const config = testConfigFromShipped(shipped, {
    listenAddress,
    secret,
    realm,
    port,
    relayPorts: { min: relayFloor, max: relayFloor + RELAY_PORT_COUNT - 1 },
    stateDirectory,
    allowLoopbackPeers,
  });
  await writeFile(configPath, config);

  const child = spawn(TURNSERVER, ['-c', configPath]);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A spawn that fails (no such binary) is reported below as an exit before ready.
  child.once('error', (error) => (output += `\n[spawn] ${error.message}`));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const graceOver = await Promise.race([exited.then(() => false), delay(STOP_GRACE_MS).then(() => true)]);
      if (graceOver) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(stateDirectory, { recursive: true, force: true });
  };

  try {
    await waitUntilAnswering(child, exited, spawn, listenAddress, port, () => output);
    const problems = output.match(CONFIG_PROBLEM);
    if (problems) throw new Error(`coturn did not take docs/coturn.conf as written:\n${problems.join('\n')}\n--- test config ---\n${config}`);
  } catch (error) {
    await stop();
    throw error;
  }

  const host = listenAddress.includes(':') ? `[${listenAddress}]` : listenAddress;
  return { port, url: `turn:${host}:${port}?transport=udp`, log: () => output, stop };
}

/** Whether both UDP and TCP `port` can be bound on `address` (coturn listens on both). */
async function isPortFree(address: string, port: number): Promise<boolean> {
  const udpFree = await new Promise<boolean>((resolve) => {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, address, () => socket.close(() => resolve(true)));
  });
  if (!udpFree) return false;
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
}

async function waitUntilAnswering(coturn: ChildProcess, coturnExited: Promise<void>, spawn: SpawnCommand, address: string, port: number, log: () => string): Promise<void> {
  const probe = spawn(process.execPath, ['--input-type=module', '-e', STUN_PROBE_SCRIPT, address, String(port)]);
  probe.stdout?.resume();
  probe.stderr?.resume();
  const answered = new Promise<boolean>((resolve) => {
    probe.once('exit', (code) => resolve(code === 0));
    probe.once('error', () => resolve(false));
  });
  let timer: NodeJS.Timeout | undefined;
  let watch: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    answered.then((ok) => (ok ? 'ready' : 'probe failed')),
    coturnExited.then(() => 'coturn exited'),
    new Promise<string>((resolve) => (watch = setInterval(() => LISTENER_PORT_TAKEN.test(log()) && resolve('port taken'), PORT_WATCH_INTERVAL_MS))),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timed out'), READY_TIMEOUT_MS))),
  ]).finally(() => {
    clearTimeout(timer);
    clearInterval(watch);
  });
  if (probe.exitCode === null && probe.signalCode === null) probe.kill('SIGKILL');
  if (outcome === 'ready') return;
  if (outcome === 'port taken') throw new ListeningPortTakenError(`coturn could not bind ${address}:${port}; its log:\n${log()}`);
  const how = outcome === 'coturn exited' ? `exited (code ${coturn.exitCode}, signal ${coturn.signalCode})` : `did not answer STUN within ${READY_TIMEOUT_MS} ms (${outcome})`;
  throw new Error(`coturn on ${address}:${port} ${how}; its log:\n${log()}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
