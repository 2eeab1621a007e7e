/**
 * A received file streamed into the browser's downloads as it arrives, through the download
 * service worker (download-service-worker.ts): the route for a large file where the page has no
 * origin private file system (a Firefox private window), so memory stays bounded there too. It
 * needs the worker registered on this origin (the app does; an embedding page may).
 *
 * A download cannot take bytes back or be reopened, so: bytes go in order only; the file's last
 * block is held back until the digest has been checked (finish), so a file that fails the check
 * never completes as a download; a failure or cancel aborts the download, and the browser drops
 * what it had. The file is in the person's downloads, not in the page: finish() gives no File.
 */
import { transferable, type FileSink, type FileSinkRequest } from './file-sinks.js';
import { visibleFileName } from '../shared/visible-file-name.js';
import { withTimeout } from '../shared/with-timeout.js';
import {
  DOWNLOAD_KEEPALIVE_MS,
  DOWNLOAD_PATH,
  DOWNLOAD_UNANSWERED_KEEPALIVES,
  DOWNLOAD_WORKER_FILE,
  type DownloadKeepAlive,
  type DownloadStart,
  type PageToWorker,
  type WorkerToPage,
} from './download-stream-protocol.js';

/** A worker that does not take the download (or a browser that does not ask for it) within this long is taken as missing. */
const WORKER_ANSWER_TIMEOUT_MS = 5_000;
/** The hidden frame that started the download is removed this long after the download ended. */
const FRAME_LINGER_MS = 10_000;

/** The download worker's registration on this origin, found by its script (whatever scope the page gave it). */
async function downloadWorkerRegistration(): Promise<ServiceWorkerRegistration | undefined> {
  if (typeof navigator === 'undefined' || !navigator.serviceWorker || typeof document === 'undefined') return undefined;
  const registrations = await navigator.serviceWorker.getRegistrations().catch(() => []);
  return registrations.find((registration) =>
    [registration.active, registration.waiting, registration.installing].some((worker) => worker && new URL(worker.scriptURL).pathname.endsWith(`/${DOWNLOAD_WORKER_FILE}`)),
  );
}

/** The registration's active worker, once the one being installed is active (if it gets there within the timeout). */
async function activeWorker(registration: ServiceWorkerRegistration): Promise<ServiceWorker | undefined> {
  const coming = registration.installing ?? registration.waiting;
  if (!registration.active && coming) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        coming.removeEventListener('statechange', changed);
        resolve();
      };
      const changed = (): void => {
        if (coming.state === 'activated' || coming.state === 'redundant') done();
      };
      const timer = setTimeout(done, WORKER_ANSWER_TIMEOUT_MS);
      coming.addEventListener('statechange', changed);
    });
  }
  return registration.active ?? undefined;
}

function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export async function createDownloadSink({ name, size }: FileSinkRequest): Promise<FileSink> {
  const registration = await downloadWorkerRegistration();
  const worker = registration && (await activeWorker(registration));
  if (!registration || !worker) throw new Error('no download worker for this page');
  const url = new URL(`${DOWNLOAD_PATH}${randomId()}`, registration.scope).href;
  // Saved under the name the chat shows: no control character may disguise what it is.
  const shownName = visibleFileName(name);
  const channel = new MessageChannel();
  const port = channel.port1;
  /** Blocks the browser asked for and has not had. */
  let demand = 0;
  let demandWaiter: (() => void) | undefined;
  /** Why the download is over, once it is: every later write or finish rejects with it. */
  let ended: DOMException | undefined;
  let frame: HTMLIFrameElement | undefined;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  /** Keep-alives sent since the worker last said anything on the port. */
  let unanswered = 0;
  const heard = new Map<WorkerToPage['type'], () => void>();
  const hear = (type: 'ready' | 'started'): Promise<void> => new Promise((resolve) => heard.set(type, resolve));

  /** Ends the download, telling the worker `last` (the worker closes the port once it has it). */
  const end = (why: DOMException, last?: PageToWorker): void => {
    if (ended) return;
    ended = why;
    if (last) port.postMessage(last);
    clearInterval(keepAlive);
    demandWaiter?.();
    const done = frame;
    frame = undefined;
    if (done) setTimeout(() => done.remove(), FRAME_LINGER_MS);
  };
  const stop = (): void => end(new DOMException('the download was stopped', 'AbortError'), { type: 'abort', reason: 'the transfer did not complete' });

  port.onmessage = (event: MessageEvent<WorkerToPage>) => {
    const { type } = event.data;
    unanswered = 0;
    if (type === 'pull') {
      demand += 1;
      demandWaiter?.();
    } else if (type === 'cancelled') {
      end(new DOMException('the download was cancelled in the browser', 'AbortError'));
    } else if (type !== 'alive') {
      heard.get(type)?.();
    }
  };

  const ready = hear('ready');
  const started = hear('started');
  worker.postMessage({ type: 'parley-download', url, name: shownName, size } satisfies DownloadStart, [channel.port2]);
  try {
    await withTimeout(ready, WORKER_ANSWER_TIMEOUT_MS, 'the download worker did not answer');
    // The browser asks the worker for the URL and saves what it streams as a download.
    frame = document.createElement('iframe');
    frame.hidden = true;
    frame.title = shownName;
    frame.src = url;
    document.body.append(frame);
    await withTimeout(started, WORKER_ANSWER_TIMEOUT_MS, 'the browser did not start the download');
  } catch (error) {
    stop();
    throw error;
  }
  // To the worker that took the download (a newer one made active meanwhile does not have it).
  keepAlive = setInterval(() => {
    if (unanswered >= DOWNLOAD_UNANSWERED_KEEPALIVES) {
      // The browser stopped the worker (or it crashed): no byte will reach the download again.
      end(new DOMException('the browser stopped the download (its service worker went away)', 'NetworkError'));
      return;
    }
    unanswered += 1;
    worker.postMessage({ type: 'parley-download-keepalive', url } satisfies DownloadKeepAlive);
  }, DOWNLOAD_KEEPALIVE_MS);

  /** Sends bytes once the browser wants them. */
  const send = async (bytes: Uint8Array<ArrayBuffer>): Promise<void> => {
    while (demand === 0 && !ended) await new Promise<void>((resolve) => (demandWaiter = resolve));
    demandWaiter = undefined;
    if (ended) throw ended;
    demand -= 1;
    const whole = transferable(bytes);
    port.postMessage({ type: 'block', bytes: whole } satisfies PageToWorker, [whole.buffer]);
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
      end(new DOMException('the download is complete', 'InvalidStateError'), { type: 'end' });
      return undefined;
    },
    stop,
    async discard() {
      stop();
      last = undefined;
    },
  };
}
