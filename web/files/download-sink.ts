/**
 * A received file streamed into the browser's downloads as it arrives, through the download
 * service worker (download-service-worker.ts): the route for a large file where the page has no
 * origin private file system (a Firefox private window), so memory stays bounded there too. It
 * needs the worker registered for this page (the app does; an embedding page may).
 *
 * A download cannot take bytes back or be reopened, so: bytes go in order only; the file's last
 * block is held back until the digest has been checked (finish), so a file that fails the check
 * never completes as a download; a failure or cancel aborts the download, and the browser drops
 * what it had. The file is in the person's downloads, not in the page: finish() gives no File.
 */
import type { FileSink, FileSinkRequest } from './file-sinks.js';
import { visibleFileName } from '../shared/visible-file-name.js';
import { DOWNLOAD_PATH, DOWNLOAD_WORKER_SCOPE, type DownloadStart, type PageToWorker, type WorkerToPage } from './download-stream-protocol.js';

/** A worker that does not take the download within this long is taken as missing. */
const WORKER_READY_TIMEOUT_MS = 5_000;
/** The hidden frame that started the download is removed this long after the download ended. */
const FRAME_LINGER_MS = 10_000;

/** The download worker registered for this page's scope, once active (it may still be installing). */
async function activeDownloadWorker(): Promise<ServiceWorker | undefined> {
  if (typeof navigator === 'undefined' || !navigator.serviceWorker || typeof document === 'undefined') return undefined;
  const registration = await navigator.serviceWorker.getRegistration(new URL(DOWNLOAD_WORKER_SCOPE, document.baseURI).href).catch(() => undefined);
  if (!registration) return undefined;
  const coming = registration.installing ?? registration.waiting;
  if (!registration.active && coming) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, WORKER_READY_TIMEOUT_MS);
      coming.addEventListener('statechange', () => {
        if (coming.state !== 'activated' && coming.state !== 'redundant') return;
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return registration.active ?? undefined;
}

/** Whether a streamed download is possible here: a download worker is active for this page. */
export async function canStreamDownloads(): Promise<boolean> {
  return (await activeDownloadWorker()) !== undefined;
}

function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Rejects a write (or finish) once the download is over: why it ended is in the error. */
class DownloadEnded extends DOMException {}

export async function createDownloadSink({ name, size }: FileSinkRequest): Promise<FileSink> {
  const worker = await activeDownloadWorker();
  if (!worker) throw new Error('no download worker for this page');
  const url = new URL(`${DOWNLOAD_PATH}${randomId()}`, new URL(DOWNLOAD_WORKER_SCOPE, document.baseURI)).href;
  const channel = new MessageChannel();
  const port = channel.port1;
  /** Blocks the browser asked for and has not had. */
  let demand = 0;
  let demandWaiter: (() => void) | undefined;
  let ended: DownloadEnded | undefined;
  let frame: HTMLIFrameElement | undefined;
  let readyWaiter: (() => void) | undefined;

  port.onmessage = (event: MessageEvent<WorkerToPage>) => {
    switch (event.data.type) {
      case 'ready':
        readyWaiter?.();
        break;
      case 'pull':
        demand += 1;
        demandWaiter?.();
        break;
      case 'cancelled':
        ended ??= new DownloadEnded('the download was cancelled in the browser', 'AbortError');
        demandWaiter?.();
        break;
    }
  };
  const post = (message: PageToWorker, transfer: Transferable[] = []): void => port.postMessage(message, transfer);
  const removeFrame = (): void => {
    const done = frame;
    frame = undefined;
    if (done) setTimeout(() => done.remove(), FRAME_LINGER_MS);
  };

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the download worker did not answer')), WORKER_READY_TIMEOUT_MS);
    readyWaiter = () => {
      clearTimeout(timer);
      resolve();
    };
    // Saved under the name the chat shows: no control character may disguise what it is.
    const start: DownloadStart = { type: 'parley-download', url, name: visibleFileName(name), size };
    worker.postMessage(start, [channel.port2]);
  });
  // The browser asks the worker for the URL and saves what it streams as a download.
  frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = name;
  frame.src = url;
  document.body.append(frame);

  /** Sends bytes once the browser wants them. */
  const send = async (bytes: Uint8Array<ArrayBuffer>): Promise<void> => {
    while (demand === 0 && !ended) await new Promise<void>((resolve) => (demandWaiter = resolve));
    demandWaiter = undefined;
    if (ended) throw ended;
    demand -= 1;
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    post({ type: 'block', bytes: whole }, [whole.buffer]);
  };

  let written = 0;
  /** The file's last bytes, sent only once the digest checked out (finish). */
  let last: Uint8Array<ArrayBuffer> | undefined;
  return {
    async write(offset, bytes) {
      if (ended) throw ended;
      if (offset !== written) throw new Error(`a download takes bytes in order: ${offset} where ${written} was next`);
      written += bytes.byteLength;
      if (written === size) last = bytes.slice();
      else await send(bytes);
    },
    async truncate(offset) {
      // A resume asks from exactly what was written (the receiver finishes its writes first).
      if (offset !== written) throw new Error(`a download cannot go back from ${written} to ${offset}`);
    },
    async finish() {
      if (last) await send(last);
      last = undefined;
      if (ended) throw ended;
      post({ type: 'end' });
      ended = new DownloadEnded('the download is complete', 'InvalidStateError');
      removeFrame();
      return undefined;
    },
    async discard() {
      if (!ended) post({ type: 'abort', reason: 'the transfer did not complete' });
      ended ??= new DownloadEnded('the download was stopped', 'AbortError');
      demandWaiter?.();
      last = undefined;
      removeFrame();
    },
  };
}
