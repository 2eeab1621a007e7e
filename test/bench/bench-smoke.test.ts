// Runs `npm run bench` shrunk to a few seconds per scenario, so the benchmark never rots: every
// server, the load generator, the browser scenarios and the table all have to work.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const RUNNER = fileURLToPath(new URL('../../dist/bench/bench/run.js', import.meta.url));

describe('npm run bench', () => {
  it('runs every scenario against every server and prints the table', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [RUNNER, '--smoke'], { timeout: 240_000, maxBuffer: 10 * 1024 * 1024 });
    expect(stdout).toContain('| Metric | Parley | PeerJS | bare relay | ws alone | raw WebRTC |');
    for (const row of ['Relay: messages per server CPU-second', 'Latency p99 at 5,000 msg/s', 'Join storm', 'Link opened → first message delivered', 'Mesh of 2', 'Embeddable element bundle, gzip']) {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(`| ${row}`));
      expect(line, row).toBeDefined();
      // Parley's own column holds a figure, not a dash.
      expect(line!.split('|')[2]!.trim(), row).toMatch(/\d/);
    }
    const relayLine = stdout.split('\n').find((line) => line.startsWith('| Relay: messages per server CPU-second'))!;
    // All three servers were measured side by side.
    expect(relayLine.split('|').slice(2, 5).every((cell) => /\d/.test(cell))).toBe(true);
    // The machine floor (the relay on ws alone) runs where goals may lie below it.
    const latencyLine = stdout.split('\n').find((line) => line.startsWith('| Latency p99 at 5,000 msg/s'))!;
    expect(latencyLine.split('|')[5], 'ws alone').toMatch(/\d/);
    const raw = /Raw figures: (bench\/results\/\S+\.json)/.exec(stdout)?.[1];
    expect(raw).toBeDefined();
    const results = JSON.parse(readFileSync(fileURLToPath(new URL(`../../${raw}`, import.meta.url)), 'utf8')) as { smoke: boolean; samples: object };
    expect(results.smoke).toBe(true);
    expect(Object.keys(results.samples).length).toBeGreaterThan(10);
  }, 240_000);
});
