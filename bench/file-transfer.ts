/**
 * A file through Parley against the same bytes over a raw data channel, in Chromium: Parley's
 * figure is the whole product (the app's attach button, the signed offer, Download, 64 KiB binary
 * chunks with the ack window, the receiver hashing each block and writing it to OPFS, the digest
 * checked at the end), until "Received and checked"; the raw figure is a bare RTCDataChannel
 * sending 64 KiB binary frames with the usual manual backpressure. Also: how much any renderer's
 * resident memory grew while Parley's transfer ran.
 *
 * Two speeds for each, measured alike: the whole transfer, and its steady state, from the moment
 * the receiver had STEADY_FROM_BYTES to the end. A fresh channel starts slowly whoever uses it
 * (SCTP's congestion window opens over the first seconds: on this machine a cold raw channel takes
 * about 2.5 s for its first 2 MiB and then moves 14 MiB/s), which on 128 MiB is a fifth of the time
 * and says nothing about either side's cost per byte.
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
/** The steady state starts once the receiver has this much (the channel's slow start is over by then). */
export const STEADY_FROM_BYTES = 8 * 1024 * 1024;

/** Where the steady state starts for a transfer of `bytes`: STEADY_FROM_BYTES, or a quarter of a small one (the smoke run's). */
const steadyFrom = (bytes: number): number => Math.min(STEADY_FROM_BYTES, Math.floor(bytes / 4));

/** MiB/s from a mark to the end; the whole speed when no progress came between them (a tiny file). */
function steadySpeed(bytesAfterMark: number, markAt: number, doneAt: number, whole: number): number {
  return doneAt > markAt ? bytesAfterMark / 2 ** 20 / ((doneAt - markAt) / 1000) : whole;
}

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

/** A transfer's speeds, and what it cost the machine: milliseconds of CPU (all processes, all cores) per MiB moved. */
export interface TransferFigures {
  /** From STEADY_FROM_BYTES received to the end. */
  steadyMiBPerSecond: number;
  /** The whole transfer, on a channel that carried no bulk before. */
  wholeMiBPerSecond: number;
  cpuMsPerMiB: number;
}

/** When the receiver's page had `from` bytes of the file, and when it was complete (its clock, ms). */
interface ReceiverMarks {
  from: number;
  markAt: number;
  markBytes: number;
  doneAt: number;
}

type MarkedWindow = Window & { transferMarks?: ReceiverMarks };

/** What the element's parley-file-transfer event says of an incoming transfer (the part used here). */
interface IncomingDetail {
  incoming?: { state: { state: string }; progress: { bytes: number } };
}

/** Starts noting, in the receiver's page, when it had `from` bytes and when the file was complete. */
async function markReceiver(page: Page, from: number): Promise<void> {
  await page.evaluate((from) => {
    const marks: ReceiverMarks = { from, markAt: 0, markBytes: 0, doneAt: 0 };
    (window as MarkedWindow).transferMarks = marks;
    document.addEventListener('parley-file-transfer', (event) => {
      const incoming = (event as CustomEvent<IncomingDetail>).detail.incoming;
      if (!incoming) return;
      if (!marks.markAt && incoming.state.state === 'receiving' && incoming.progress.bytes >= marks.from) {
        marks.markAt = performance.now();
        marks.markBytes = incoming.progress.bytes;
      }
      if (incoming.state.state === 'complete' && !marks.doneAt) marks.doneAt = performance.now();
    });
  }, from);
}

/** Parley: MiB/s from Download to checked (whole and steady), its CPU, and how much any renderer grew meanwhile (MiB). */
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
    await markReceiver(bob, steadyFrom(bytes));
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
    const wholeMiBPerSecond = bytes / 2 ** 20 / ((performance.now() - started) / 1000);
    const marks = await bob.evaluate(() => (window as MarkedWindow).transferMarks!);
    if (!marks.doneAt) throw new Error(`the receiver's page did not see the file complete: ${JSON.stringify(marks)}`);
    const steadyMiBPerSecond = marks.markAt ? steadySpeed(bytes - marks.markBytes, marks.markAt, marks.doneAt, wholeMiBPerSecond) : wholeMiBPerSecond;
    return { steadyMiBPerSecond, wholeMiBPerSecond, cpuMsPerMiB, rendererGrowthMiB: growth / 2 ** 20 };
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
  markBytes: number;
  markAt: number;
  markReceived: number;
  sendBinary(bytes: number, chunkBytes: number): number;
}

const rawPage = (): RawPage => (window as unknown as { bench: RawPage }).bench;

/** A raw channel: MiB/s (whole and steady) for `bytes` in 64 KiB binary frames, on a channel that carried no bulk before. */
export async function rawBinaryTransfer(origin: string, bytes: number, roomId: string, session: () => string): Promise<TransferFigures> {
  const people = await twoPeople();
  const { sender, receiver } = people;
  try {
    await sender.goto(`${origin}/bench/raw.html?room=${roomId}&session=${session()}`);
    await sender.waitForFunction(() => Boolean((window as unknown as { bench?: unknown }).bench));
    await receiver.goto(`${origin}/bench/raw.html?room=${roomId}&session=${session()}`);
    for (const page of [sender, receiver]) await page.waitForFunction(() => (window as unknown as { bench: RawPage }).bench.channelOpenAt > 0, undefined, { timeout: 20_000 });
    const busy = machineBusyCpuSeconds();
    await receiver.evaluate(
      ([expect, from]) => {
        const page = (window as unknown as { bench: RawPage }).bench;
        page.expectBytes = page.receivedBytes + expect;
        page.markBytes = page.receivedBytes + from;
      },
      [bytes, steadyFrom(bytes)] as const,
    );
    const started = await sender.evaluate(([total, chunk]) => (window as unknown as { bench: RawPage }).bench.sendBinary(total, chunk), [bytes, CHUNK_BYTES] as const);
    await receiver.waitForFunction(() => (window as unknown as { bench: RawPage }).bench.doneAt > 0, undefined, { timeout: 600_000 });
    const cpuMsPerMiB = ((machineBusyCpuSeconds() - busy) * 1000) / (bytes / 2 ** 20);
    const { doneAt, markAt, markReceived, expectBytes } = await receiver.evaluate(rawPage);
    return {
      steadyMiBPerSecond: steadySpeed(expectBytes - markReceived, markAt, doneAt, bytes / 2 ** 20 / ((doneAt - started) / 1000)),
      wholeMiBPerSecond: bytes / 2 ** 20 / ((doneAt - started) / 1000),
      cpuMsPerMiB,
    };
  } finally {
    await people.close();
  }
}
