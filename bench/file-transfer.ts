/**
 * A file through Parley against the same bytes over a raw data channel, in Chromium: Parley's
 * figure is the whole product (the app's attach button, the signed offer, Download, 64 KiB binary
 * chunks with the ack window, the receiver hashing each block and writing it to OPFS, the digest
 * checked at the end), from the click on Download to "Received and checked"; the raw figure is a
 * bare RTCDataChannel sending 64 KiB binary frames with the usual manual backpressure. Also: how
 * much any renderer's resident memory grew while Parley's transfer ran.
 *
 * The two pages are tabs of one Chromium with a profile on disk (twoPeople); the raw channel runs
 * between two tabs of the same kind.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromiumWithProfile } from '../test/support/browser.js';
import { createRoom, messageLog, participant, setName } from '../test/support/chat-page.js';
import { samplePeakRendererMemory } from '../test/support/renderer-memory.js';
import { machineBusyCpuSeconds } from './proc-stats.js';

const CHUNK_BYTES = 64 * 1024;

/** A file of `bytes` on disk (random blocks), for the attach button. */
function fileOnDisk(bytes: number): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-file-'));
  const path = join(dir, 'bench.bin');
  const block = randomBytes(4 * 1024 * 1024);
  const fd = openSync(path, 'w');
  for (let offset = 0; offset < bytes; offset += block.length) writeSync(fd, block, 0, Math.min(block.length, bytes - offset));
  closeSync(fd);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Two people's pages: two tabs of one Chromium with a profile on disk, so the receiver's OPFS file
 * is on disk as it is for people (off-the-record contexts keep OPFS in the browser process's
 * memory, at more than twice the CPU per write). One browser, not two: two Chromiums on these two
 * cores move even a raw channel at less than half the speed, which would hide Parley's own cost.
 */
async function twoPeople(): Promise<{ sender: Page; receiver: Page; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'parley-bench-profile-'));
  let browser: BrowserContext | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    browser = await launchChromiumWithProfile(profile);
    return { sender: await browser.newPage(), receiver: await browser.newPage(), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What a transfer cost the machine: milliseconds of CPU (all processes, all cores) per MiB moved. */
export interface TransferFigures {
  mibPerSecond: number;
  cpuMsPerMiB: number;
}

/** Parley: MiB/s from Download to checked, its CPU, and how much any renderer grew meanwhile (MiB). */
export async function parleyFileTransfer(origin: string, bytes: number): Promise<TransferFigures & { rendererGrowthMiB: number }> {
  const file = fileOnDisk(bytes);
  const people = await twoPeople();
  const { sender: ada, receiver: bob } = people;
  try {
    const link = await createRoom(ada, origin);
    await setName(ada, 'Ada');
    await bob.goto(link);
    await setName(bob, 'Bob');
    await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor({ timeout: 20_000 });
    await ada.getByLabel('Attach files').setInputFiles([file.path]);
    const offered = messageLog(bob).getByRole('article').filter({ has: bob.locator('.file-name', { hasText: 'bench.bin' }) });
    await offered.getByRole('button', { name: 'Download' }).waitFor({ timeout: 120_000 });
    const memory = samplePeakRendererMemory();
    const started = performance.now();
    const busy = machineBusyCpuSeconds();
    let growth: number;
    try {
      await offered.getByRole('button', { name: 'Download' }).click();
      await offered.getByText('Received and checked').waitFor({ timeout: 600_000 });
    } finally {
      growth = memory.stop().growthBytes;
    }
    const cpuMsPerMiB = ((machineBusyCpuSeconds() - busy) * 1000) / (bytes / 2 ** 20);
    return { mibPerSecond: bytes / 2 ** 20 / ((performance.now() - started) / 1000), cpuMsPerMiB, rendererGrowthMiB: growth / 2 ** 20 };
  } finally {
    await people.close();
    file.remove();
  }
}

interface RawPage {
  channelOpenAt: number;
  receivedBytes: number;
  expectBytes: number;
  doneAt: number;
  sendBinary(bytes: number, chunkBytes: number): number;
}

/** A raw channel: MiB/s for `bytes` in 64 KiB binary frames (after a 2 MiB warm-up). */
export async function rawBinaryTransfer(origin: string, bytes: number, roomId: string, session: () => string): Promise<TransferFigures> {
  const people = await twoPeople();
  const { sender, receiver } = people;
  try {
    await sender.goto(`${origin}/bench/raw.html?room=${roomId}&session=${session()}`);
    await sender.waitForFunction(() => Boolean((window as unknown as { bench?: unknown }).bench));
    await receiver.goto(`${origin}/bench/raw.html?room=${roomId}&session=${session()}`);
    for (const page of [sender, receiver]) await page.waitForFunction(() => (window as unknown as { bench: RawPage }).bench.channelOpenAt > 0, undefined, { timeout: 20_000 });
    const transfer = async (size: number): Promise<TransferFigures> => {
      const busy = machineBusyCpuSeconds();
      await receiver.evaluate((expect) => {
        const page = (window as unknown as { bench: RawPage }).bench;
        page.expectBytes = page.receivedBytes + expect;
        page.doneAt = 0;
      }, size);
      const started = await sender.evaluate(([total, chunk]) => (window as unknown as { bench: RawPage }).bench.sendBinary(total, chunk), [size, CHUNK_BYTES] as const);
      await receiver.waitForFunction(() => (window as unknown as { bench: RawPage }).bench.doneAt > 0, undefined, { timeout: 600_000 });
      const doneAt = await receiver.evaluate(() => (window as unknown as { bench: RawPage }).bench.doneAt);
      return { mibPerSecond: size / 2 ** 20 / ((doneAt - started) / 1000), cpuMsPerMiB: ((machineBusyCpuSeconds() - busy) * 1000) / (size / 2 ** 20) };
    };
    await transfer(2 * 1024 * 1024);
    return await transfer(bytes);
  } finally {
    await people.close();
  }
}
