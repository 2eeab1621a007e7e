/**
 * Between a page and the download service worker (download-service-worker.ts): how a received
 * file is streamed into the browser's downloads where the page has no origin private file system
 * (a Firefox private window refuses it). Types only: the worker is built as a script of its own
 * and imports nothing at run time.
 *
 * The page posts a DownloadStart to the worker with a MessagePort, then opens the download's URL
 * in a hidden frame; the worker answers that request
 * with a stream it fills from the port. The stream pulls: the worker asks for each block
 * (`pull`), so neither side holds more than a block or two whatever the file's size.
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
  /** The browser asked for the download's bytes: it wants the next block. */
  | { type: 'pull' }
  /** The person cancelled the download in the browser (or the browser gave it up). */
  | { type: 'cancelled' };

/** Below the worker's scope: the path of a download's URL, before its random id. */
export const DOWNLOAD_PATH = 'download/';

/** The worker's scope, relative to the page of the app that registers it. */
export const DOWNLOAD_WORKER_SCOPE = './parley-download/';

/** The worker's script, relative to the page of the app that registers it. */
export const DOWNLOAD_WORKER_SCRIPT = './parley-download-worker.js';
