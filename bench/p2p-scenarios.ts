/**
 * The peer-to-peer path in real Chromium (flags from shared/TESTING.md), served by the real
 * Parley server: link opened → data channel open → first message, against a raw RTCPeerConnection
 * page on the same server in the same browser run; chat latency; full-mesh formation.
 * Parley's pages are observed through an init script that records timestamps (nothing is
 * replaced); the raw page records its own. The server's limits are raised as for the load
 * generator (parley-limits.ts): every page comes from this machine's one address, and the
 * per-address join limit would refuse pages partway through a run (Parley's pages wait and retry,
 * the raw page stops).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser.js';
import { chatStatus } from '../test/support/chat-page.js';
import { startServer } from '../test/support/server.js';
import { RAISED_LIMITS } from './parley-limits.js';
import { percentile } from './stats.js';
import { parleyFileTransfer, rawBinaryTransfer, STEADY_FROM_BYTES } from './file-transfer.js';
import { RAW_BASELINE_PAGE, TRANSPORT_BENCH_SCRIPT, WEB_ROOT } from './paths.js';

export interface P2pResults {
  samples: Record<string, Partial<Record<'parley' | 'raw', number[]>>>;
  notes: string[];
}

interface BenchState {
  channelOpenAt: number;
  firstMessageAt: number;
  allConnectedAt: number;
  latencies: number[];
  /** Log `bench:latencies` once this many latency samples are in. */
  expectLatencies: number;
  sendOnOpen: string | null;
}

/** Runs in Parley pages before their scripts: timestamps (epoch ms, sub-ms precision) of what matters. */
function instrumentParleyPage(): void {
  const now = (): number => performance.timeOrigin + performance.now();
  const bench: BenchState = { channelOpenAt: 0, firstMessageAt: 0, allConnectedAt: 0, latencies: [], expectLatencies: 0, sendOnOpen: null };
  (window as unknown as { bench: BenchState }).bench = bench;
  const Native = window.RTCPeerConnection;
  const watch = (channel: RTCDataChannel): void => {
    channel.addEventListener('open', () => {
      bench.channelOpenAt ||= now();
      if (bench.sendOnOpen) document.querySelector('parley-chat')!.send(bench.sendOnOpen);
    });
  };
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('datachannel', (event) => watch(event.channel));
    }
    override createDataChannel(label: string, options?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, options);
      watch(channel);
      return channel;
    }
  };
  document.addEventListener('parley-message', (event) => {
    const { message } = event.detail;
    if (message.own) return;
    if (!bench.firstMessageAt) {
      bench.firstMessageAt = now();
      console.debug('bench:first-message');
    }
    const match = /^latency (\d+(\.\d+)?)$/.exec(message.text);
    if (!match) return;
    bench.latencies.push(now() - Number(match[1]));
    if (bench.latencies.length === bench.expectLatencies) console.debug('bench:latencies');
  });
}

const epochNow = (): number => performance.timeOrigin + performance.now();
const benchState = (page: Page): Promise<BenchState> => page.evaluate(() => (window as unknown as { bench: BenchState }).bench);

/**
 * Resolves when the page logs `bench:<name>`. Timed scenarios wait this way instead of polling the
 * page: each poll is a script evaluation on the page's main thread, which slows what is measured
 * (and slows a page with more to do, such as Parley's, more than the bare baseline).
 * Call it before the page can reach the milestone. When it is missed, the error shows what the page
 * was doing, and what `sender` was (the page that should have sent what never came).
 */
function milestone(page: Page, name: string, { timeoutMs = 20_000, sender }: { timeoutMs?: number; sender?: Page } = {}): Promise<BenchState> {
  const reached = page
    .waitForEvent('console', { predicate: (message) => message.text() === `bench:${name}`, timeout: timeoutMs })
    .then(
      () => benchState(page),
      async (error: unknown) => {
        const senderShowed = sender ? ` The sending page showed: ${await describePage(sender)}` : '';
        throw new Error(`${page.url()} did not reach bench:${name} in ${timeoutMs} ms. The page then showed: ${await describePage(page)}.${senderShowed}`, { cause: error });
      },
    );
  // Awaited only after the navigation that leads to it: until then, a failure must not count as unhandled.
  reached.catch(() => undefined);
  return reached;
}

/**
 * What a page that missed a milestone was doing, for the error (a crashed page cannot say). Parley
 * pages and the raw baseline page keep different marks in `window.bench` (the raw page keeps a
 * trail of what happened, shown in full); other lists are shown by their length.
 */
function describePage(page: Page): Promise<string> {
  return page
    .evaluate(() => {
      const chat = document.querySelector('parley-chat');
      const bench = (window as unknown as { bench?: Record<string, unknown> }).bench ?? {};
      const marks = Object.fromEntries(
        Object.entries(bench).flatMap(([name, value]): [string, unknown][] => {
          if (Array.isArray(value)) return [[name, value.every((item) => typeof item === 'string') ? value.slice(-40) : `${value.length} items`]];
          return typeof value === 'object' || typeof value === 'function' ? [] : [[name, value]];
        }),
      );
      const shown = chat ? { status: chat.status, participants: chat.participants } : { text: document.body.innerText.slice(0, 300) };
      return JSON.stringify({ ...shown, bench: marks });
    })
    .catch((error: unknown) => `nothing (${error instanceof Error ? error.message : String(error)})`);
}

/** Parley's pages are instrumented; the raw baseline page keeps its own marks and runs as it is. */
async function newPage(browser: Browser, flavour: 'parley' | 'raw'): Promise<Page> {
  const context = await browser.newContext();
  if (flavour === 'parley') await context.addInitScript(instrumentParleyPage);
  return context.newPage();
}

const roomKey = (): string => randomBytes(16).toString('base64url');
const roomId = (): string => randomBytes(32).toString('base64url');

const LINK_SAMPLES_PER_REP = 3;

/** Link opened in a second browser → its data channel open, and → the first message shown. */
async function linkToFirstMessage(browser: Browser, origin: string, flavour: 'parley' | 'raw'): Promise<{ open: number; first: number }> {
  const first = await newPage(browser, flavour);
  const second = await newPage(browser, flavour);
  try {
    if (flavour === 'parley') {
      const link = `${origin}/#${roomKey()}`;
      await first.goto(link);
      await chatStatus(first, 'Connected').waitFor();
      await first.evaluate(() => ((window as unknown as { bench: BenchState }).bench.sendOnOpen = 'hello'));
      const arrived = milestone(second, 'first-message', { sender: first });
      const opened = epochNow();
      await second.goto(link);
      const state = await arrived;
      return { open: state.channelOpenAt - opened, first: state.firstMessageAt - opened };
    }
    const room = roomId();
    await first.goto(`${origin}/bench/raw.html?room=${room}&session=${randomBytes(16).toString('base64url')}&sendOnOpen=hello`);
    await first.getByText('joined').waitFor();
    const arrived = milestone(second, 'first-message', { sender: first });
    const opened = epochNow();
    await second.goto(`${origin}/bench/raw.html?room=${room}&session=${randomBytes(16).toString('base64url')}`);
    const state = await arrived;
    return { open: state.channelOpenAt - opened, first: state.firstMessageAt - opened };
  } finally {
    await first.context().close();
    await second.context().close();
  }
}

/** One-way chat latency through Parley (framing, validation, log, receipts), 200 messages. */
async function chatLatency(browser: Browser, origin: string, count: number): Promise<number[]> {
  const sender = await newPage(browser, 'parley');
  const receiver = await newPage(browser, 'parley');
  try {
    const link = `${origin}/#${roomKey()}`;
    await sender.goto(link);
    await receiver.goto(link);
    await sender.getByRole('region', { name: 'Participants' }).getByText('Connected', { exact: true }).waitFor();
    // Warm the channel up first: the first messages on a new channel are slower.
    await sender.evaluate(async (n) => {
      const chat = document.querySelector('parley-chat')!;
      for (let index = 0; index < n; index += 1) {
        chat.send(`warm-up ${index}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }, 20);
    await receiver.evaluate((n) => void ((window as unknown as { bench: BenchState }).bench.expectLatencies = n), count);
    const received = milestone(receiver, 'latencies', { sender });
    await sender.evaluate(async (n) => {
      const chat = document.querySelector('parley-chat')!;
      for (let index = 0; index < n; index += 1) {
        chat.send(`latency ${performance.timeOrigin + performance.now()}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }, count);
    const state = await received;
    return state.latencies;
  } finally {
    await sender.context().close();
    await receiver.context().close();
  }
}

const BULK_BYTES = 32 * 1024 * 1024;
const BULK_CHUNK_BYTES = 64 * 1024;
/** A file large enough that the transfer, not its setup, is what is timed. */
const FILE_BYTES = 128 * 1024 * 1024;

interface BulkPage {
  channelOpenAt?: number;
  connectedTo?: string;
  receivedBytes: number;
  expectBytes: number;
  doneAt: number;
  send(bytes: number, chunkBytes: number): number;
}

/** 32 MiB in 64 KiB chunks through Parley's transport (PeerMesh) or a raw channel: MiB/s. */
async function bulkThroughput(browser: Browser, origin: string, flavour: 'parley' | 'raw', bytes: number): Promise<number> {
  const sender = await newPage(browser, flavour);
  const receiver = await newPage(browser, flavour);
  const handle = flavour === 'parley' ? 'transportBench' : 'bench';
  const path = flavour === 'parley' ? '/bench/transport.html' : '/bench/raw.html';
  const room = roomId();
  try {
    await sender.goto(`${origin}${path}?room=${room}&session=${randomBytes(16).toString('base64url')}`);
    await sender.waitForFunction((name) => Boolean((window as unknown as Record<string, unknown>)[name]), handle);
    await receiver.goto(`${origin}${path}?room=${room}&session=${randomBytes(16).toString('base64url')}`);
    const ready = (name: string) => {
      const page = (window as unknown as Record<string, BulkPage>)[name]!;
      return Boolean(page.connectedTo ?? page.channelOpenAt);
    };
    await sender.waitForFunction(ready, handle, { timeout: 20_000 });
    await receiver.waitForFunction(ready, handle, { timeout: 20_000 });
    const transfer = async (size: number): Promise<number> => {
      await receiver.evaluate(([name, expect]) => {
        const page = (window as unknown as Record<string, BulkPage>)[name as string]!;
        page.expectBytes = page.receivedBytes + (expect as number);
        page.doneAt = 0;
      }, [handle, size] as const);
      const started = await sender.evaluate(([name, total, chunk]) => (window as unknown as Record<string, BulkPage>)[name as string]!.send(total as number, chunk as number), [handle, size, BULK_CHUNK_BYTES] as const);
      await receiver.waitForFunction((name) => (window as unknown as Record<string, BulkPage>)[name]!.doneAt > 0, handle, { timeout: 60_000 });
      const doneAt = await receiver.evaluate((name) => (window as unknown as Record<string, BulkPage>)[name]!.doneAt, handle);
      return size / (1024 * 1024) / ((doneAt - started) / 1000);
    };
    // The first transfer on a new channel is slower: warm it up first.
    await transfer(2 * 1024 * 1024);
    return await transfer(bytes);
  } finally {
    await sender.context().close();
    await receiver.context().close();
  }
}

/**
 * N browsers open the same room at once: time until each is connected to all the others. Parley
 * pages report when every participant shows as connected; raw pages when a data channel is open to
 * each other page.
 */
async function meshFormation(browser: Browser, origin: string, size: number, flavour: 'parley' | 'raw'): Promise<number> {
  const pages = await Promise.all(Array.from({ length: size }, () => newPage(browser, flavour)));
  try {
    const link = `${origin}/#${roomKey()}`;
    const room = roomId();
    const allConnected = pages.map((page) => milestone(page, 'all-connected', { timeoutMs: 30_000 }));
    const started = epochNow();
    await Promise.all(
      pages.map(async (page) => {
        if (flavour === 'raw') {
          await page.goto(`${origin}/bench/raw.html?room=${room}&session=${randomBytes(16).toString('base64url')}&expectPeers=${size - 1}`);
          return;
        }
        await page.goto(link);
        await page.evaluate((others) => {
          const bench = (window as unknown as { bench: BenchState }).bench;
          const chat = document.querySelector('parley-chat')!;
          const check = (): void => {
            const peers = chat.participants;
            if (peers.length === others && peers.every((peer) => peer.state === 'connected')) {
              bench.allConnectedAt = performance.timeOrigin + performance.now();
              console.debug('bench:all-connected');
            } else setTimeout(check, 5);
          };
          check();
        }, size - 1);
      }),
    );
    const states = await Promise.all(allConnected);
    return Math.max(...states.map((state) => state.allConnectedAt)) - started;
  } finally {
    await Promise.all(pages.map((page) => page.context().close()));
  }
}

/** The browser scenarios, each of which can be run alone (`--only files`, `--only chat-latency`). */
export const P2P_PARTS = ['link', 'chat-latency', 'bulk', 'files', 'mesh'] as const;
export type P2pPart = (typeof P2P_PARTS)[number];

export async function runP2pScenarios({ smoke, reps, parts = P2P_PARTS }: { smoke: boolean; reps: number; parts?: readonly P2pPart[] }): Promise<P2pResults> {
  const samples: P2pResults['samples'] = {};
  const add = (metric: string, who: 'parley' | 'raw', value: number): void => void ((samples[metric] ??= {})[who] ??= []).push(value);
  const rawPage = readFileSync(RAW_BASELINE_PAGE, 'utf8');
  const transportScript = readFileSync(TRANSPORT_BENCH_SCRIPT, 'utf8');
  const server = await startServer({ webRoot: WEB_ROOT, ...RAISED_LIMITS }, (app) => {
    app.get('/bench/raw.html', async (_request, reply) => reply.type('text/html').send(rawPage));
    app.get('/bench/transport.html', async (_request, reply) =>
      reply.type('text/html').send('<!doctype html><meta charset="utf-8"><title>Parley transport bench</title><script type="module" src="/bench/transport.js"></script>'),
    );
    app.get('/bench/transport.js', async (_request, reply) => reply.type('text/javascript').send(transportScript));
  });
  const { origin } = server;
  const browser = await launchChromium();
  try {
    // Warm the browser and server up once; the first page load of a browser is always slower.
    if (!smoke) {
      await linkToFirstMessage(browser, origin, 'parley');
      await linkToFirstMessage(browser, origin, 'raw');
    }
    for (let rep = 0; rep < (parts.includes('link') ? reps : 0); rep += 1) {
      // A second each, and single runs vary by ±40 % on a shared 2-core machine: take several.
      for (let sample = 0; sample < (smoke ? 1 : LINK_SAMPLES_PER_REP); sample += 1) {
        for (const flavour of ['parley', 'raw'] as const) {
          const { open, first } = await linkToFirstMessage(browser, origin, flavour);
          add('p2p.linkToChannelOpenMs', flavour, open);
          add('p2p.linkToFirstMessageMs', flavour, first);
        }
      }
      process.stderr.write(`  p2p link → first message rep ${rep + 1} done\n`);
    }
    for (let rep = 0; rep < (parts.includes('chat-latency') ? reps : 0); rep += 1) {
      const latencies = await chatLatency(browser, origin, smoke ? 20 : 200);
      add('p2p.chatLatencyP50Ms', 'parley', percentile(latencies, 50));
      add('p2p.chatLatencyP99Ms', 'parley', percentile(latencies, 99));
    }
    if (parts.includes('chat-latency')) process.stderr.write('  p2p chat latency done\n');
    for (let rep = 0; rep < (parts.includes('bulk') ? reps : 0); rep += 1) {
      for (const flavour of ['parley', 'raw'] as const) add('p2p.bulkMiBPerSecond', flavour, await bulkThroughput(browser, origin, flavour, smoke ? 4 * 1024 * 1024 : BULK_BYTES));
    }
    if (parts.includes('bulk')) process.stderr.write('  p2p bulk throughput done\n');
    for (let rep = 0; rep < (parts.includes('files') ? reps : 0); rep += 1) {
      const bytes = smoke ? 4 * 1024 * 1024 : FILE_BYTES;
      const parley = await parleyFileTransfer(origin, bytes);
      add('p2p.fileMiBPerSecond', 'parley', parley.steadyMiBPerSecond);
      add('p2p.fileWholeMiBPerSecond', 'parley', parley.wholeMiBPerSecond);
      add('p2p.fileCpuMsPerMiB', 'parley', parley.cpuMsPerMiB);
      add('p2p.fileRendererGrowthMiB', 'parley', parley.rendererGrowthMiB);
      const raw = await rawBinaryTransfer(origin, bytes, roomId(), () => randomBytes(16).toString('base64url'));
      add('p2p.fileMiBPerSecond', 'raw', raw.steadyMiBPerSecond);
      add('p2p.fileWholeMiBPerSecond', 'raw', raw.wholeMiBPerSecond);
      add('p2p.fileCpuMsPerMiB', 'raw', raw.cpuMsPerMiB);
    }
    if (parts.includes('files')) process.stderr.write('  p2p file transfer done\n');
    for (const size of !parts.includes('mesh') ? [] : smoke ? [2] : [2, 4, 6, 8]) {
      for (let rep = 0; rep < reps; rep += 1) {
        for (const flavour of ['parley', 'raw'] as const) add(`p2p.mesh${size}Ms`, flavour, await meshFormation(browser, origin, size, flavour));
      }
      process.stderr.write(`  p2p mesh of ${size} done\n`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return {
    samples,
    notes: [
      ...(smoke ? [] : [`Link opened → …: ${LINK_SAMPLES_PER_REP} runs per repetition (${LINK_SAMPLES_PER_REP * reps} in all), Parley and raw alternating.`]),
      `File transfer: ${FILE_BYTES / 2 ** 20} MiB through the Parley app (attach, Download, 64 KiB binary chunks under the 16 MiB ack window, each 1 MiB block hashed and written to OPFS by a worker, the digest checked) until "Received and checked", against the same bytes in 64 KiB binary frames over a raw RTCDataChannel with manual backpressure, both on a channel that carried no bulk before. The steady state runs from the moment the receiver had ${STEADY_FROM_BYTES / 2 ** 20} MiB to the end (a fresh channel's congestion window takes a few seconds to open, whoever uses it); the whole transfer runs from the click on Download (Parley) or the first send (raw); both in two tabs of one Chromium with a profile on disk (so OPFS writes go to disk, as for people); memory is how much the Chromium renderer that grew most (the sender's or the receiver's page) grew over what it held before, sampled every 250 ms during Parley's transfer; CPU is the whole machine's busy time (both browsers' processes, all cores) per MiB moved.`,
      "Bulk throughput: 32 MiB in 64 KiB chunks through Parley's transport (signaling client + peer mesh, no room or UI) against a raw RTCDataChannel with manual backpressure, same server and browser.",
    ],
  };
}
