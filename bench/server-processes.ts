/**
 * Starts each compared signaling server as its own process on a free loopback port: Parley (the
 * built server at its defaults, limits raised for the load generator: parley-limits.ts), PeerJS
 * (its CLI) and the two least-work floor relays (bench/).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/free-port.js';
import { raisedLimitFlags } from './parley-limits.js';
import { PARLEY_SERVER_ENTRY, PEERJS_CLI } from './paths.js';
import type { ServerKind } from './signal-clients.js';

export interface ServerProcess {
  kind: ServerKind;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export const SERVER_LABEL: Record<ServerKind, string> = { parley: 'Parley', peerjs: 'PeerJS', bare: 'least-work Fastify relay', ws: 'least-work ws relay' };


function commandFor(kind: ServerKind, port: number): { file: string; args: string[] } {
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

export async function startServerProcess(kind: ServerKind): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startServerProcessOnce(kind, await freePort());
    } catch (error) {
      if (!(error instanceof ServerExitedEarly) || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function startServerProcessOnce(kind: ServerKind, port: number): Promise<ServerProcess> {
  const { file, args } = commandFor(kind, port);
  const nodeFlags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${kind}-${port}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...nodeFlags, file, ...args], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  await waitForPort(port, child, () => output);
  return {
    kind,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // A graceful stop lets a profiled server write its profile; a stuck one is killed.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
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

/** The load generator process, talking to one server. */
export interface LoadGenerator {
  pid: number;
  /** Sends a command; `onPhase` hears intermediate reports (e.g. the measured window starts). */
  run<T extends Record<string, unknown>>(command: Record<string, unknown>, onPhase?: (phase: string) => void): Promise<T & { ok: boolean; error?: string }>;
  stop(): Promise<void>;
}

export async function startLoadGenerator(kind: ServerKind, url: string): Promise<LoadGenerator> {
  const child = fork(fileURLToPath(new URL('./load-generator.js', import.meta.url)), [kind, url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
