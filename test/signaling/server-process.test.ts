// The real entry point in its own process: configuration errors and graceful shutdown.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../protocol/signaling.js';
import { SERVER_ENTRY, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TestClient } from '../support/ws-client.js';

const ROOM = 'r'.repeat(43);
let running: ServerProcess | undefined;

afterEach(() => {
  running?.child.kill('SIGKILL');
  running = undefined;
});

describe('the server process', () => {
  it('refuses an invalid setting with a message that names it, and exit code 2', async () => {
    const child = spawn(process.execPath, [SERVER_ENTRY], { env: { ...process.env, ROOM_CAPACITY: 'lots' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('ROOM_CAPACITY');
    expect(stderr).toContain('"lots"');
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('prints where it listens and answers /healthz', async () => {
    running = await startServerProcess();
    expect(running.output()).toMatch(/Parley is running: open http:\/\/127\.0\.0\.1:\d+\//);
    const response = await fetch(`http://127.0.0.1:${running.port}/healthz`);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} tells clients it is going away (1001), stops accepting and exits 0`, async () => {
      running = await startServerProcess();
      const url = `ws://127.0.0.1:${running.port}/signal`;
      const client = await TestClient.connect(url);
      await client.join(ROOM);
      const started = Date.now();
      running.child.kill(signal);
      expect((await client.closed).code).toBe(CloseCode.GoingAway);
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(5000);
      await expect(TestClient.connect(url)).rejects.toThrow();
    });
  }

  it('exits within SHUTDOWN_TIMEOUT_MS even when a client never completes the close', async () => {
    running = await startServerProcess(['--shutdown-timeout-ms', '800']);
    const client = await TestClient.connect(`ws://127.0.0.1:${running.port}/signal`);
    // A client whose network stalled: it reads nothing more, so it never answers the close.
    (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    running.child.kill('SIGTERM');
    const exit = await running.exited;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(exit.code).toBe(1);
    expect(running.output()).toContain('shutdown took too long');
    client.socket.terminate();
  });
});
