/**
 * Between a page and the download service worker (download-service-worker.ts): how a received
 * file is streamed into the browser's downloads where the page has no origin private file system
 * (a Firefox private window refuses it). Types, names and the download's header, for both sides:
 * the worker is built as one script of its own, with what it uses from here bundled in.
 *
 * The page posts a DownloadStart to the worker with a MessagePort, then opens the download's URL
 * in a hidden frame; the worker says when the browser asked for it (`started`) and answers with a
 * stream it fills from the port. The stream pulls: the worker asks for each block (`pull`), so
 * neither side holds more than a block or two whatever the file's size. While a download runs, the
 * page keeps the worker alive (DownloadKeepAlive): browsers stop a worker that had no event for
 * about 30 s, however long its download still had to go. The worker answers each keep-alive, so
 * a page whose worker was stopped anyway finds out and fails the transfer instead of waiting.
 */

/** Page → worker (through `postMessage` on the active worker), with the port for this download. */
export interface DownloadStart {
  type: 'parley-download';
  /** The download's URL: DOWNLOAD_PATH and a random id under the worker's scope. */
  url: string;
  /** The name to save the file under. */
  name: string;
  size: number;
}

/**
 * Page → worker (through `postMessage` on the worker that took the download), every
 * DOWNLOAD_KEEPALIVE_MS while a download runs. The worker answers `alive` on the download's port
 * if it still streams `url`: a worker the browser stopped and started again knows nothing of it.
 */
export interface DownloadKeepAlive {
  type: 'parley-download-keepalive';
  url: string;
}

/** Far under the 30 s for which browsers keep an idle service worker (Firefox, Chromium): a busy page's timer may run late. */
export const DOWNLOAD_KEEPALIVE_MS = 2_000;

/**
 * This many keep-alives in a row without a word from the worker on the download's port, and the
 * download is taken as lost (the browser stopped the worker, or it crashed): counted in
 * keep-alives, not seconds, so a background tab whose timers run a minute late is not mistaken
 * for one whose worker died.
 */
export const DOWNLOAD_UNANSWERED_KEEPALIVES = 5;

/** Page → worker, on the download's port. */
export type PageToWorker =
  /** The next bytes of the file, in order (the buffer is transferred). */
  | { type: 'block'; bytes: Uint8Array<ArrayBuffer> }
  /** Every byte was sent and checked: the download may complete. */
  | { type: 'end' }
  /** The transfer failed or was cancelled: the download fails, and the browser drops what it has. */
  | { type: 'abort'; reason: string };

/** Worker → page, on the download's port. */
export type WorkerToPage =
  /** The worker holds the port; the page may open the download's URL. */
  | { type: 'ready' }
  /** The browser asked for the download's URL: the download has begun. */
  | { type: 'started' }
  /** The browser asked for the download's bytes: it wants the next block. */
  | { type: 'pull' }
  /** The person cancelled the download in the browser (or the browser gave it up). */
  | { type: 'cancelled' }
  /** The answer to a keep-alive: this worker still streams the download. */
  | { type: 'alive' };

/**
 * From this size on, a file that cannot go to OPFS is streamed into the browser's downloads where
 * the download worker runs, rather than kept as Blob parts (smaller files keep their preview and
 * Save link in the chat). No image comes by itself from this size on (room-files.ts), so a
 * download never starts without a click.
 */
export const STREAMED_DOWNLOAD_FROM_BYTES = 64 * 1024 * 1024;

/** Below the worker's scope: the path of a download's URL, before its random id. */
export const DOWNLOAD_PATH = 'download/';

/** The worker's script file: a page finds the download worker's registration by it, whatever its scope. */
export const DOWNLOAD_WORKER_FILE = 'parley-download-worker.js';

/** The scope the app registers the worker with, relative to its page. */
export const DOWNLOAD_WORKER_SCOPE = './parley-download/';

/** The worker's script, relative to the page of the app that registers it. */
export const DOWNLOAD_WORKER_SCRIPT = `./${DOWNLOAD_WORKER_FILE}`;

/**
 * The download's Content-Disposition: `attachment` with the name for every browser, RFC 6266's
 * UTF-8 form and an ASCII stand-in. `name` is a visible file name (no lone surrogate, which
 * encodeURIComponent would refuse).
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
