/**
 * Starts each compared signaling server as its own process on a free loopback port: Parley (the
 * built server at its defaults, limits raised for the load generator: parley-limits.ts), PeerJS
 * (its CLI) and the two least-work floor relays (bench/); and Parley as several instances sharing
 * rooms through a redis-server of their own.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort, freeUdpPort } from '../test/support/free-port.js';
import { REDIS_SERVER, RedisProcess } from '../test/support/redis.js';
import { raisedLimitFlags } from './parley-limits.js';
import { PARLEY_SERVER_ENTRY, PEERJS_CLI } from './paths.js';
import { signalUrl, type ServerKind } from './signal-clients.js';

interface ServerProcess {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export const SERVER_LABEL: Record<ServerKind, string> = {
  parley: 'Parley',
  parleyRedis: 'Parley, instances sharing Redis',
  peerjs: 'PeerJS',
  bare: 'least-work Fastify relay',
  ws: 'least-work ws relay',
};

/** Instances of Parley in the `parleyRedis` server. */
const SHARED_ROOM_INSTANCES = 2;

/** Why the `parleyRedis` server cannot run on this machine, or undefined if it can. */
export function sharedRoomsUnavailable(): string | undefined {
  return existsSync(REDIS_SERVER) ? undefined : `redis-server not found at ${REDIS_SERVER} (apt-get install redis-server, or set REDIS_SERVER_PATH)`;
}

/** One process of a compared server, named for the notes (`instance 1`, `redis-server`). */
export interface ServerPart {
  role: string;
  pid: number;
}

/** A compared server as it runs: one process, or several instances and their Redis. */
export interface RunningServer {
  kind: ServerKind;
  /** Where clients connect: one WebSocket URL an instance. */
  urls: string[];
  /** Every process whose CPU and memory are the server's. */
  parts: ServerPart[];
  /** The Redis the instances share, where they do. */
  redisUrl?: string;
  stop(): Promise<void>;
}

/** Starts a server of `kind`; whatever it started is stopped again if a later part fails. */
export async function startServer(kind: ServerKind): Promise<RunningServer> {
  if (kind !== 'parleyRedis') {
    const server = await startServerProcess(kind);
    return { kind, urls: [signalUrl(kind, server.port)], parts: [{ role: SERVER_LABEL[kind], pid: server.pid }], stop: () => server.stop() };
  }
  return startSharedServer(SHARED_ROOM_INSTANCES);
}

/** `count` Parley instances sharing rooms through one redis-server: the `parleyRedis` server, of any size. */
export async function startSharedServer(count: number): Promise<RunningServer> {
  const kind = 'parleyRedis';
  const redis = await RedisProcess.start();
  const instances: ServerProcess[] = [];
  const stop = async (): Promise<void> => {
    // The instances first: each leaves Redis cleanly (its members out of their rooms) as it closes.
    await Promise.all(instances.map((instance) => instance.stop()));
    await redis.kill();
  };
  try {
    const redisPid = childPidServingPort('redis-server', redis.port);
    for (let index = 1; index <= count; index += 1) {
      instances.push(await startServerProcess('parley', { REDIS_URL: redis.url }, `parleyRedis-instance${index}`));
    }
    return {
      kind,
      urls: instances.map((instance) => signalUrl(kind, instance.port)),
      parts: [...instances.map((instance, index) => ({ role: `instance ${index + 1}`, pid: instance.pid })), { role: 'redis-server', pid: redisPid }],
      redisUrl: redis.url,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The pid of this process's child `command` that serves `port` (RedisProcess keeps its child to
 * itself; redis-server names its process `redis-server 127.0.0.1:<port>`).
 */
function childPidServingPort(command: string, port: number): number {
  for (const task of readdirSync('/proc/self/task')) {
    for (const pid of readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter((entry) => entry !== '')) {
      const name = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (name.includes(command) && new RegExp(`:${port}(\\D|$)`).test(name)) return Number(pid);
    }
  }
  throw new Error(`no child ${command} serving port ${port}`);
}

function commandFor(kind: Exclude<ServerKind, 'parleyRedis'>, port: number): { file: string; args: string[] } {
  switch (kind) {
    case 'parley':
      // Its defaults (logging at info included), with only the load generator's limits raised.
      return { file: PARLEY_SERVER_ENTRY, args: ['--host', '127.0.0.1', '--port', String(port), ...raisedLimitFlags()] };
    case 'peerjs':
      return {
        file: PEERJS_CLI,
        args: ['--host', '127.0.0.1', '--port', String(port), '--key', 'peerjs', '--path', '/', '--concurrent_limit', '100000'],
      };
    case 'bare':
      return { file: fileURLToPath(new URL('./bare-relay.js', import.meta.url)), args: [] };
    case 'ws':
      return { file: fileURLToPath(new URL('./ws-relay.js', import.meta.url)), args: [] };
  }
}

/** The server process ended before it listened (for instance: its port was taken meanwhile). */
class ServerExitedEarly extends Error {}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new ServerExitedEarly(`server exited early:\n${output()}`);
    // Bounded: whatever holds the port may accept and never answer.
    const ok = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not listen on ${port}:\n${output()}`);
}

/** Set BENCH_PROFILE_DIR to write a V8 CPU profile of every server process there (node --cpu-prof). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;

/** Tries at most this many ports: another process may take a probed port before the server binds it. */
const START_ATTEMPTS = 3;

/**
 * One server process on a free port. `env` is added to this process's environment, less REDIS_URL
 * (a Redis the orchestrator was given must not turn a lone Parley into a shared one).
 */
async function startServerProcess(kind: Exclude<ServerKind, 'parleyRedis'>, env: Record<string, string> = {}, profileName: string = kind): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startServerProcessOnce(kind, await freePort(), env, profileName);
    } catch (error) {
      if (!(error instanceof ServerExitedEarly) || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function startServerProcessOnce(kind: Exclude<ServerKind, 'parleyRedis'>, port: number, env: Record<string, string>, profileName: string): Promise<ServerProcess> {
  const { file, args } = commandFor(kind, port);
  const nodeFlags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profileName}-${port}.cpuprofile`] : [];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  delete childEnv.REDIS_URL;
  // Parley keeps its built-in STUN server, but on a UDP port of its own rather than its default
  // 3478: instances side by side, or a Parley a test runs meanwhile, would otherwise collide.
  if (kind === 'parley') childEnv.STUN_PORT = String(await freeUdpPort());
  const child = spawn(process.execPath, [...nodeFlags, file, ...args], { env: { ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  await waitForPort(port, child, () => output);
  return {
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // A graceful stop lets a profiled server write its profile; a stuck one is killed.
      child.kill('SIGTERM');
      // Writing a profile of a long run takes a while itself.
      const timer = setTimeout(() => child.kill('SIGKILL'), PROFILE_DIR ? 60_000 : 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Binds every thread of a process to one CPU core (taskset), so that the server and the load
 * generator never wait for each other's core. Returns false, changing nothing, where that cannot be
 * done (one core, or no taskset).
 */
export function pinToCore(pid: number, core: number): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The load generator process, talking to one server (at one URL an instance). */
export interface LoadGenerator {
  pid: number;
  /** Sends a command; `onPhase` hears intermediate reports (e.g. the measured window starts). */
  run<T extends Record<string, unknown>>(command: Record<string, unknown>, onPhase?: (phase: string) => void): Promise<T & { ok: boolean; error?: string }>;
  stop(): Promise<void>;
}

export async function startLoadGenerator(kind: ServerKind, urls: readonly string[]): Promise<LoadGenerator> {
  const child = fork(fileURLToPath(new URL('./load-generator.js', import.meta.url)), [kind, ...urls], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    run(command, onPhase) {
      return new Promise((resolve, reject) => {
        const onMessage = (message: { phase?: string } & Record<string, unknown>): void => {
          if (message.phase) {
            onPhase?.(message.phase);
            return;
          }
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(message as never);
        };
        const onExit = (code: number | null): void => reject(new Error(`load generator exited with ${code}`));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send(command);
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
