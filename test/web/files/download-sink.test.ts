// The streamed-download sink's rules, against a fake download worker that speaks the protocol over
// a real MessageChannel (the real worker runs in the browser suites: files in Chromium, engines in
// a Firefox private window): bytes only in order and only when the browser asks, the last block
// held back until the digest checked out, so a file that fails the check (or a cancelled one)
// never completes as a download; a transfer that ends while the browser does not ask gives up at
// once; the worker kept alive while the download runs, and a download whose worker the browser
// stopped fails instead of waiting for ever.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDownloadSink } from '../../../web/files/download-sink.js';
import { contentDisposition, DOWNLOAD_KEEPALIVE_MS, DOWNLOAD_UNANSWERED_KEEPALIVES, type DownloadKeepAlive, type DownloadStart, type PageToWorker, type WorkerToPage } from '../../../web/files/download-stream-protocol.js';
import type { FileSink } from '../../../web/files/file-sinks.js';

/** The worker's side of one download: what it got, and the browser's pulls and cancel. */
class FakeDownloadWorker {
  start: DownloadStart | undefined;
  /** What came on the download's port, each with how many blocks the browser had asked for by then. */
  readonly received: { message: PageToWorker; pullsBefore: number }[] = [];
  keepAlives = 0;
  /** Whether the browser asks for the download's URL when its frame opens. */
  startsDownloads = true;
  /** False once the browser stopped this worker: a new one, started for the next event, knows no download. */
  running = true;
  #pulls = 0;
  #port: MessagePort | undefined;
  #arrived: (() => void) | undefined;
  readonly scriptURL: string;

  constructor(scriptURL: string) {
    this.scriptURL = scriptURL;
  }

  postMessage(message: DownloadStart | DownloadKeepAlive, transfer: Transferable[] = []): void {
    if (message.type === 'parley-download-keepalive') {
      this.keepAlives += 1;
      if (this.running && message.url === this.start?.url) this.#tell({ type: 'alive' });
      return;
    }
    this.start = message;
    this.#port = transfer[0] as MessagePort;
    this.#port.onmessage = (event: MessageEvent<PageToWorker>) => {
      this.received.push({ message: event.data, pullsBefore: this.#pulls });
      this.#arrived?.();
    };
    this.#tell({ type: 'ready' });
  }

  /** The hidden frame asked for the download's URL. */
  fetched(): void {
    if (this.startsDownloads) this.#tell({ type: 'started' });
  }

  /** The browser wants the next block. */
  pull(): void {
    this.#pulls += 1;
    this.#tell({ type: 'pull' });
  }

  /** The person cancelled the download in the browser. */
  cancel(): void {
    this.#tell({ type: 'cancelled' });
  }

  /** Resolves once `count` messages came on the port. */
  async until(count: number): Promise<void> {
    while (this.received.length < count) await new Promise<void>((resolve) => (this.#arrived = resolve));
  }

  close(): void {
    this.#port?.close();
  }

  #tell(message: WorkerToPage): void {
    this.#port!.postMessage(message);
  }
}

const SCOPE = 'https://chat.example/parley-download/';
const frames: { src: string; title: string; removed: boolean }[] = [];
let worker: FakeDownloadWorker;

/** A page of chat.example, with the download worker registered (by its script) at `scope`, or none. */
function install({ registered = true, scope = SCOPE } = {}): void {
  worker = new FakeDownloadWorker('https://chat.example/parley-download-worker.js');
  const other = { scope: 'https://chat.example/', active: { scriptURL: 'https://chat.example/site-worker.js' } };
  vi.stubGlobal('navigator', {
    serviceWorker: { getRegistrations: async () => (registered ? [other, { scope, active: worker }] : [other]) },
  });
  vi.stubGlobal('document', {
    body: {
      append: (frame: { src: string; title: string; removed: boolean }) => {
        frames.push(frame);
        worker.fetched();
      },
    },
    createElement: () => {
      const frame = { src: '', hidden: false, title: '', removed: false, remove: () => (frame.removed = true) };
      return frame;
    },
  });
}

afterEach(() => {
  worker?.close();
  frames.length = 0;
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const REQUEST = { key: 'k', name: 'film.mkv', mime: 'video/x-matroska', size: 6 };
const bytes = (...values: number[]): Uint8Array<ArrayBuffer> => new Uint8Array(values);
/** Time for a message that should not be sent to arrive, were it sent. */
const aMoment = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
const blocksReceived = (): number[][] => worker.received.flatMap(({ message }) => (message.type === 'block' ? [[...message.bytes]] : []));
/** Real time, while the page's timers are fake: for the worker's answers to arrive on their port. */
const aMomentOfRealTime = (): Promise<void> => sleep(20);
const fakeTimers = (): void => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });

async function openSink(): Promise<FileSink> {
  install();
  const sink = await createDownloadSink(REQUEST);
  // The download is started in a hidden frame at the URL announced to the worker, under its scope.
  expect(worker.start).toMatchObject({ type: 'parley-download', name: 'film.mkv', size: 6 });
  expect(worker.start!.url).toMatch(/^https:\/\/chat\.example\/parley-download\/download\/[0-9a-f]{32}$/);
  expect(frames.map((frame) => frame.src)).toEqual([worker.start!.url]);
  return sink;
}

describe('the streamed download sink', () => {
  it('sends blocks in order when the browser asks, and the last only once the file is finished (checked)', async () => {
    const sink = await openSink();
    let written = false;
    const first = sink.write(0, bytes(1, 2)).then(() => (written = true));
    await aMoment();
    expect(written).toBe(false);
    worker.pull();
    await first;
    worker.pull();
    await sink.write(2, bytes(3, 4));
    worker.pull();
    // The file's last bytes: kept back, so a file that fails its check never completes.
    await sink.write(4, bytes(5, 6));
    await worker.until(2);
    await aMoment();
    expect(blocksReceived()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(await sink.finish()).toBeUndefined();
    await worker.until(4);
    expect(blocksReceived()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    // No block was sent before the browser asked for it: a slow disk holds the transfer back.
    const blocks = worker.received.filter(({ message }) => message.type === 'block');
    expect(blocks.map(({ pullsBefore }, index) => pullsBefore > index)).toEqual([true, true, true]);
    expect(worker.received.at(-1)?.message).toEqual({ type: 'end' });
  });

  it('aborts the download, without the last bytes, when the file is discarded (a digest mismatch, a cancel)', async () => {
    const sink = await openSink();
    worker.pull();
    await sink.write(0, bytes(1, 2, 3, 4));
    await sink.write(4, bytes(5, 6));
    await sink.discard();
    await worker.until(2);
    expect(blocksReceived()).toEqual([[1, 2, 3, 4]]);
    expect(worker.received.at(-1)?.message).toEqual({ type: 'abort', reason: 'the transfer did not complete' });
    await expect(sink.finish()).rejects.toThrow('the download was stopped');
  });

  it('gives up a write that waits for the browser the moment the transfer ends (the person paused the download, then cancelled in the chat)', async () => {
    const sink = await openSink();
    const waiting = sink.write(0, bytes(1, 2)).catch((error: unknown) => error);
    await aMoment();
    fakeTimers();
    sink.stop!();
    expect(((await waiting) as DOMException).name).toBe('AbortError');
    await worker.until(1);
    expect(worker.received.map(({ message }) => message)).toEqual([{ type: 'abort', reason: 'the transfer did not complete' }]);
    // Once the download has ended, its frame goes too (a while later, so the browser can close it).
    await sink.discard();
    vi.advanceTimersByTime(10_000);
    expect(frames.map((frame) => frame.removed)).toEqual([true]);
  });

  it('fails the transfer as cancelled when the person cancels the download in the browser', async () => {
    const sink = await openSink();
    const waiting = sink.write(0, bytes(1, 2));
    worker.cancel();
    const refused = await waiting.catch((error: unknown) => error);
    expect((refused as DOMException).name).toBe('AbortError');
    expect(String((refused as DOMException).message)).toContain('cancelled in the browser');
  });

  it('keeps the worker alive while the download runs, and stops when it is over (browsers stop a worker idle for 30 s)', async () => {
    fakeTimers();
    const sink = await openSink();
    vi.advanceTimersByTime(DOWNLOAD_KEEPALIVE_MS * 3);
    expect(worker.keepAlives).toBe(3);
    await sink.discard();
    vi.advanceTimersByTime(DOWNLOAD_KEEPALIVE_MS * 3);
    expect(worker.keepAlives).toBe(3);
  });

  it('fails the transfer when the browser stopped the worker mid-download (it no longer answers), instead of waiting for ever', async () => {
    fakeTimers();
    const sink = await openSink();
    const waiting = sink.write(0, bytes(1, 2)).catch((error: unknown) => error);
    let settled = false;
    void waiting.then(() => (settled = true));
    // A worker that answers is kept, however long the browser takes to ask for the next block.
    for (let beat = 0; beat < DOWNLOAD_UNANSWERED_KEEPALIVES * 3; beat += 1) {
      vi.advanceTimersByTime(DOWNLOAD_KEEPALIVE_MS);
      await aMomentOfRealTime();
    }
    expect(settled).toBe(false);
    // The browser stops it: the keep-alives now go unanswered.
    worker.running = false;
    vi.advanceTimersByTime(DOWNLOAD_KEEPALIVE_MS * DOWNLOAD_UNANSWERED_KEEPALIVES);
    await aMomentOfRealTime();
    expect(settled).toBe(false);
    vi.advanceTimersByTime(DOWNLOAD_KEEPALIVE_MS);
    const refused = (await waiting) as DOMException;
    expect(refused.name).toBe('NetworkError');
    expect(refused.message).toContain('the browser stopped the download');
    // And no more keep-alives for a download that is over.
    const sent = worker.keepAlives;
    vi.advanceTimersByTime(DOWNLOAD_KEEPALIVE_MS * 3);
    expect(worker.keepAlives).toBe(sent);
  });

  it('takes bytes only in order, and cannot go back (a resume asks from exactly what was written)', async () => {
    const sink = await openSink();
    await expect(sink.write(2, bytes(3, 4))).rejects.toThrow('a download takes bytes in order: 2 where 0 was next');
    worker.pull();
    await sink.write(0, bytes(1, 2));
    await expect(sink.truncate(2)).resolves.toBeUndefined();
    await expect(sink.truncate(0)).rejects.toThrow('a download cannot go back from 2 to 0');
  });

  it('saves under the name as the chat shows it: a right-to-left override cannot make "gpj.exe" read "exe.jpg"', async () => {
    install();
    await createDownloadSink({ ...REQUEST, name: 'holiday\u202Egpj.exe' });
    expect(worker.start?.name).toBe('holidaygpj.exe');
    expect(frames[0]?.title).toBe('holidaygpj.exe');
  });

  it('saves a name with half a UTF-16 pair (a hostile peer can send one) under a name a header can carry', async () => {
    install();
    await createDownloadSink({ ...REQUEST, name: 'a\uD800b\uDC00.bin' });
    expect(worker.start?.name).toBe('a\uFFFDb\uFFFD.bin');
    expect(() => contentDisposition(worker.start!.name)).not.toThrow();
  });

  it('finds the worker by its script, whatever scope the embedding page registered it with', async () => {
    install({ scope: 'https://chat.example/help/desk/downloads/' });
    await createDownloadSink(REQUEST);
    expect(worker.start!.url).toMatch(/^https:\/\/chat\.example\/help\/desk\/downloads\/download\/[0-9a-f]{32}$/);
  });

  it('is not there without a download worker registered on the origin (an embedding page without one)', async () => {
    install({ registered: false });
    await expect(createDownloadSink(REQUEST)).rejects.toThrow('no download worker for this page');
    expect(frames).toEqual([]);
  });

  it('gives up, and lets the worker forget it, when the browser never asks for the download (the frame was blocked)', async () => {
    install();
    worker.startsDownloads = false;
    fakeTimers();
    const opening = createDownloadSink(REQUEST).catch((error: unknown) => error);
    // Real message delivery, fake time: wait for the frame before the clock moves.
    while (frames.length === 0) await new Promise((resolve) => setImmediate(resolve));
    vi.advanceTimersByTime(5_000);
    expect(String(await opening)).toContain('the browser did not start the download');
    vi.useRealTimers();
    await worker.until(1);
    expect(worker.received.map(({ message }) => message)).toEqual([{ type: 'abort', reason: 'the transfer did not complete' }]);
  });
});

describe("the download's header", () => {
  it('carries any name: UTF-8 for browsers that read it, an ASCII stand-in, quotes and backslashes replaced', () => {
    expect(contentDisposition('Résumé "final" (2).pdf')).toBe(
      `attachment; filename="R_sum_ _final_ (2).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%20%282%29.pdf`,
    );
  });
});
