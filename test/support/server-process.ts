// Runs the built server (dist/signaling/server.js) as its own process, as an operator would.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SERVER_ENTRY = fileURLToPath(new URL('../../dist/signaling/server.js', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** How to run Node itself: its own flags (before the entry), and the working directory. */
export interface NodeProcessOptions {
  nodeArgs?: string[];
  cwd?: string;
  /** Starts the process some other way (in a network namespace, say); a plain spawn by default. */
  spawnWith?: (command: string, args: string[], options: SpawnOptions) => ChildProcess;
  /** Instead of `--host 127.0.0.1`. */
  host?: string;
}

/** Starts the server on a free loopback port and resolves once it prints where it listens. */
export async function startServerProcess(args: string[] = [], env: NodeJS.ProcessEnv = {}, { nodeArgs = [], cwd, spawnWith = spawn, host = '127.0.0.1' }: NodeProcessOptions = {}): Promise<ServerProcess> {
  const child = spawnWith(process.execPath, [...nodeArgs, SERVER_ENTRY, '--host', host, '--port', '0', '--log-level', 'warn', ...args], {
    // The built-in STUN server's default port is one per machine: tests that want it choose a port.
    env: { ...process.env, STUN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 10_000);
    const check = (): void => {
      const match = /listening on [^\s]+:(\d+);/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening:\n${output}`));
    });
  });
  return { child, port, output: () => output, exited };
}
