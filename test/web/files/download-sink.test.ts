// The streamed-download sink's rules, against a fake download worker that speaks the protocol over
// a real MessageChannel (the real worker runs in the browser suites: files in Chromium, engines in
// a Firefox private window): bytes only in order and only when the browser asks, the last block
// held back until the digest checked out, so a file that fails the check (or a cancelled one)
// never completes as a download.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDownloadSink } from '../../../web/files/download-sink.js';
import type { DownloadStart, PageToWorker, WorkerToPage } from '../../../web/files/download-stream-protocol.js';
import type { FileSink } from '../../../web/files/file-sinks.js';

/** The worker's side of one download: what it got, and the browser's pulls and cancel. */
class FakeDownloadWorker {
  start: DownloadStart | undefined;
  readonly received: PageToWorker[] = [];
  #port: MessagePort | undefined;

  postMessage(message: DownloadStart, transfer: Transferable[]): void {
    this.start = message;
    this.#port = transfer[0] as MessagePort;
    this.#port.onmessage = (event: MessageEvent<PageToWorker>) => this.received.push(event.data);
    this.#tell({ type: 'ready' });
  }

  /** The browser wants the next block. */
  pull(): void {
    this.#tell({ type: 'pull' });
  }

  /** The person cancelled the download in the browser. */
  cancel(): void {
    this.#tell({ type: 'cancelled' });
  }

  close(): void {
    this.#port?.close();
  }

  #tell(message: WorkerToPage): void {
    this.#port!.postMessage(message);
  }
}

const frames: { src: string; removed: boolean }[] = [];
let worker: FakeDownloadWorker;

function install(registered = true): void {
  worker = new FakeDownloadWorker();
  vi.stubGlobal('navigator', {
    serviceWorker: { getRegistration: async (url: string) => (registered && url === 'https://chat.example/parley-download/' ? { active: worker } : undefined) },
  });
  vi.stubGlobal('document', {
    baseURI: 'https://chat.example/',
    body: { append: (frame: { src: string; removed: boolean }) => frames.push(frame) },
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
/** Lets the MessageChannel deliver what is on its way. */
const delivered = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
const blocksReceived = (): number[][] => worker.received.flatMap((message) => (message.type === 'block' ? [[...message.bytes]] : []));

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
    await delivered();
    // Nothing is sent before the browser asks for it: a slow disk holds the transfer back.
    expect([written, blocksReceived()]).toEqual([false, []]);
    worker.pull();
    await first;
    worker.pull();
    await sink.write(2, bytes(3, 4));
    worker.pull();
    // The file's last bytes: kept back, so a file that fails its check never completes.
    await sink.write(4, bytes(5, 6));
    await delivered();
    expect(blocksReceived()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(await sink.finish()).toBeUndefined();
    await delivered();
    expect(blocksReceived()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(worker.received.at(-1)).toEqual({ type: 'end' });
  });

  it('aborts the download, without the last bytes, when the file is discarded (a digest mismatch, a cancel)', async () => {
    const sink = await openSink();
    worker.pull();
    await sink.write(0, bytes(1, 2, 3, 4));
    await sink.write(4, bytes(5, 6));
    await sink.discard();
    await delivered();
    expect(blocksReceived()).toEqual([[1, 2, 3, 4]]);
    expect(worker.received.at(-1)).toEqual({ type: 'abort', reason: 'the transfer did not complete' });
    await expect(sink.finish()).rejects.toThrow('the download was stopped');
  });

  it('fails the transfer when the person cancels the download in the browser', async () => {
    const sink = await openSink();
    const waiting = sink.write(0, bytes(1, 2));
    worker.cancel();
    const refused = await waiting.catch((error: unknown) => error);
    expect((refused as DOMException).name).toBe('AbortError');
    expect(String((refused as DOMException).message)).toContain('cancelled in the browser');
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
  });

  it('is not there without a download worker registered for the page (an embedding page without one)', async () => {
    install(false);
    await expect(createDownloadSink(REQUEST)).rejects.toThrow('no download worker for this page');
    expect(frames).toEqual([]);
  });
});
