/**
 * Where a receiver puts a file's bytes while they arrive, so that a 1 GiB file never sits in the
 * page's memory: the origin private file system (OPFS) where the browser can write into it (from a
 * worker through synchronous access handles, else through a writable stream), Blob parts (which
 * browsers may move to disk) where it cannot.
 */
import { opfsWriterWorker, type OpfsWriterRequest, type OpfsWriterResponse } from './opfs-writer-worker.js';
import { withTimeout } from '../shared/with-timeout.js';
import { STREAMED_DOWNLOAD_FROM_BYTES } from './download-stream-protocol.js';

/** A file being received: whole blocks, written in order, at their offset. */
export interface FileSink {
  /**
   * Writes `bytes` at `offset` (the end of what is written so far). Rejects on a storage error
   * (QuotaExceededError for quota); a download sink rejects with AbortError when the person
   * cancelled the download in the browser, and NetworkError when the browser stopped it. The sink
   * may take the bytes' buffer (transfer it to a worker): the caller must not use them once this
   * is called.
   */
  write(offset: number, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  /**
   * A buffer for the next block, `length` bytes, reused from an earlier write where the sink can
   * (its contents are stale: the caller overwrites all of it). Without it, the caller allocates.
   */
  blockBuffer?(length: number): Uint8Array<ArrayBuffer>;
  /**
   * Forgets everything from `offset` on (a resumed transfer starts again from its confirmed
   * offset): drops it, or leaves it for the blocks that follow to overwrite.
   */
  truncate(offset: number): Promise<void>;
  /**
   * Everything written, as the file to show or save (named and typed as offered); undefined when
   * the bytes went into the browser's downloads instead (download-sink.ts).
   */
  finish(): Promise<File | undefined>;
  /**
   * The transfer ended (cancelled, failed): a write waiting on someone else (a download waits for
   * the browser to ask for the next block) gives up now, before the writes in progress are waited
   * for and the sink discarded. Sinks whose writes end by themselves need none.
   */
  stop?(): void;
  /** Throws away what was written; the sink is not used after this. */
  discard(): Promise<void>;
}

export interface FileSinkRequest {
  /** Unique for the transfer (the offer id). */
  key: string;
  name: string;
  mime: string;
  size: number;
}

export type FileSinkFactory = (request: FileSinkRequest) => Promise<FileSink>;

/** The OPFS directory that holds files being received. */
export const TRANSFERS_DIRECTORY = 'parley-transfers';

/**
 * The fallback: each block kept as a Blob, the file made of them at the end. Browsers keep large
 * Blobs on disk when memory is short (Chromium does; Firefox and Safari may), so this stays usable
 * for big files without being a promise of bounded memory the way the OPFS sink is.
 */
export function createBlobPartsSink({ name, mime }: FileSinkRequest): FileSink {
  let parts: { offset: number; blob: Blob }[] = [];
  return {
    async write(offset, bytes) {
      parts.push({ offset, blob: new Blob([bytes]) });
    },
    async truncate(offset) {
      parts = parts.filter((part) => part.offset + part.blob.size <= offset);
    },
    async finish() {
      return new File(
        parts.map((part) => part.blob),
        name,
        { type: mime },
      );
    },
    async discard() {
      parts = [];
    },
  };
}

/** Names this page's entries in the transfers directory, so a later page can tell whose they are. */
const PAGE_ID = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(8)), (byte) => byte.toString(16).padStart(2, '0')).join('');
/** Held (through the Web Locks API) as long as this page lives: its entries are not leftovers. */
const PAGE_LOCK_PREFIX = 'parley-transfers/';
let entryCount = 0;
let pageLockTaken = false;

function holdPageLock(): void {
  if (pageLockTaken || !('locks' in navigator)) return;
  pageLockTaken = true;
  // Never released: the browser lets go of it when the page goes away.
  void navigator.locks.request(`${PAGE_LOCK_PREFIX}${PAGE_ID}`, () => new Promise<never>(() => undefined));
}

async function transfersDirectory(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(TRANSFERS_DIRECTORY, { create: true });
}

/** A new entry name in the transfers directory. Not the offer id: entry names are the page's, so the sweep can tell a live page's from a leftover. */
function nextEntryName(): string {
  entryCount += 1;
  return `${PAGE_ID}-${entryCount}`;
}

/** The file written under `entryName`, as the file to show or save: disk-backed, nothing is copied. */
async function finishedFile(entryName: string, name: string, mime: string): Promise<File> {
  const handle = await (await transfersDirectory()).getFileHandle(entryName);
  // A File made of the disk-backed one refers to it, with the offered name.
  return new File([await handle.getFile()], name, { type: mime });
}

/**
 * The page's side of the OPFS writer worker (opfs-writer-worker.ts): started on the first transfer
 * and kept for the page's life (an idle worker costs little; starting one costs more). If it cannot
 * start (a host page's Content-Security-Policy without `worker-src blob:`) every request fails, and
 * transfers fall back to the writable-stream sink.
 */
class OpfsWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(bytes: Uint8Array<ArrayBuffer> | undefined): void; reject(error: Error): void }>();
  #nextRequestId = 1;
  #nextFileNumber = 1;
  #broken: Error | undefined;

  constructor() {
    const url = URL.createObjectURL(new Blob([`(${String(opfsWriterWorker)})()`], { type: 'text/javascript' }));
    this.#worker = new Worker(url, { name: 'parley-opfs-writer' });
    // The worker has its script once it answers, or failed to get it: the URL is not needed after.
    const release = (): void => URL.revokeObjectURL(url);
    this.#worker.addEventListener('message', release, { once: true });
    this.#worker.addEventListener('error', release, { once: true });
    this.#worker.addEventListener('message', (event: MessageEvent<OpfsWriterResponse>) => {
      const response = event.data;
      const waiter = this.#pending.get(response.id);
      this.#pending.delete(response.id);
      if (response.ok) waiter?.resolve(response.bytes);
      else waiter?.reject(new DOMException(response.message, response.name));
    });
    this.#worker.addEventListener('error', (event) => {
      // A script that did not load (CSP) or an error the worker did not catch: nothing will answer.
      event.preventDefault();
      this.#broken = new Error(`the file writer stopped: ${event.message || 'it could not start'}`);
      for (const waiter of this.#pending.values()) waiter.reject(this.#broken);
      this.#pending.clear();
    });
  }

  newFileNumber(): number {
    return this.#nextFileNumber++;
  }

  /** Resolves with the bytes a write hands back. */
  request(request: DistributiveOmit<OpfsWriterRequest, 'id'>, transfer: Transferable[] = []): Promise<Uint8Array<ArrayBuffer> | undefined> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = this.#nextRequestId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id }, transfer);
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

let opfsWriter: OpfsWriter | undefined;
/** Set once the worker said this browser has no synchronous access handles. */
let workerRouteUnsupported = false;

/** A worker that neither answers nor fails (it should not happen) must not hold a transfer up for ever. */
const WORKER_OPEN_TIMEOUT_MS = 10_000;

/** Block buffers a worker sink keeps for reuse: blocks are written one after another, so one or two are enough. */
const SPARE_BUFFERS = 2;

/** Bytes whose whole buffer can be handed to the worker (the receiver's blocks are); others are copied. */
export function transferable(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

/**
 * A file in the origin private file system, one per transfer, written in place by the writer
 * worker through a synchronous access handle (each block at its position, the bytes handed over,
 * not copied). The file it gives back is disk-backed: memory stays bounded whatever the size.
 */
export async function createOpfsWorkerSink({ name, mime, size }: FileSinkRequest): Promise<FileSink> {
  holdPageLock();
  const writer = (opfsWriter ??= new OpfsWriter());
  const entryName = nextEntryName();
  const file = writer.newFileNumber();
  try {
    await withTimeout(writer.request({ op: 'open', file, directory: TRANSFERS_DIRECTORY, entry: entryName, size }), WORKER_OPEN_TIMEOUT_MS, 'the file writer did not answer');
  } catch (error) {
    if (error instanceof DOMException && error.name === 'NotSupportedError') workerRouteUnsupported = true;
    await (await transfersDirectory()).removeEntry(entryName).catch(() => undefined);
    throw error;
  }
  // Buffers the worker handed back after writing them: the receiver fills the next blocks in them,
  // so neither side makes (and collects) a megabyte of garbage per block.
  const spare: Uint8Array<ArrayBuffer>[] = [];
  return {
    async write(offset, bytes) {
      const handed = transferable(bytes);
      const returned = await writer.request({ op: 'write', file, at: offset, bytes: handed }, [handed.buffer]);
      if (returned && spare.length < SPARE_BUFFERS) spare.push(returned);
    },
    blockBuffer(length) {
      const reused = spare.pop();
      return reused && reused.byteLength === length ? reused : new Uint8Array(length);
    },
    // The file has its full size from the start: bytes past `offset` are overwritten by the blocks
    // that follow before the file is finished (it is finished only once every block is written).
    truncate: async () => undefined,
    async finish() {
      await writer.request({ op: 'close', file });
      return finishedFile(entryName, name, mime);
    },
    async discard() {
      await writer.request({ op: 'close', file }).catch(() => undefined);
      await (await transfersDirectory()).removeEntry(entryName).catch(() => undefined);
    },
  };
}

/**
 * A file in the origin private file system, one per transfer, written in place
 * (createWritable with keepExistingData, each block at its position): for a browser without
 * synchronous access handles, or a page whose policy stops the worker. Writes go through the
 * browser process and a swap file, so it costs more than the worker's route. The file it gives
 * back is disk-backed: memory stays bounded whatever the size.
 */
export async function createOpfsSink({ name, mime }: FileSinkRequest): Promise<FileSink> {
  holdPageLock();
  const directory = await transfersDirectory();
  const entryName = nextEntryName();
  const handle = await directory.getFileHandle(entryName, { create: true });
  let writable: FileSystemWritableFileStream | undefined = await handle.createWritable({ keepExistingData: true });
  const open = (): FileSystemWritableFileStream => {
    if (!writable) throw new Error('the transfer file is closed');
    return writable;
  };
  return {
    async write(offset, bytes) {
      await open().write({ type: 'write', position: offset, data: bytes });
    },
    async truncate(offset) {
      await open().truncate(offset);
    },
    async finish() {
      await open().close();
      writable = undefined;
      return finishedFile(entryName, name, mime);
    },
    async discard() {
      const closing = writable;
      writable = undefined;
      await closing?.abort().catch(() => undefined);
      await directory.removeEntry(entryName).catch(() => undefined);
    },
  };
}

/** The part of a directory handle the sweep uses (async iteration is not in TypeScript's DOM lib here). */
interface ListableDirectory {
  keys(): AsyncIterable<string>;
  removeEntry(name: string): Promise<void>;
}

/**
 * Removes what earlier pages left in the transfers directory (a tab closed mid-transfer, a
 * received file never discarded). Entries of pages still open (in other tabs) are kept: each page
 * holds a Web Lock named after it. Without Web Locks nothing is removed (no way to tell).
 */
export async function sweepLeftoverTransfers(): Promise<number> {
  if (!hasOpfs() || !('locks' in navigator)) return 0;
  holdPageLock();
  const { held = [] } = await navigator.locks.query();
  const livePages = new Set(held.flatMap((lock) => (lock.name?.startsWith(PAGE_LOCK_PREFIX) ? [lock.name.slice(PAGE_LOCK_PREFIX.length)] : [])));
  livePages.add(PAGE_ID);
  const directory = (await transfersDirectory()) as unknown as ListableDirectory;
  const leftovers: string[] = [];
  for await (const entryName of directory.keys()) {
    if (!livePages.has(entryName.split('-')[0]!)) leftovers.push(entryName);
  }
  // An entry another page still writes may refuse to go: that is fine, it is not ours.
  await Promise.all(leftovers.map((entryName) => directory.removeEntry(entryName).catch(() => undefined)));
  return leftovers.length;
}

/** OPFS with writable file streams (Chromium, Firefox; Safari long had OPFS without createWritable). */
export function hasOpfs(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    typeof navigator.storage?.getDirectory === 'function' &&
    typeof FileSystemFileHandle !== 'undefined' &&
    'createWritable' in FileSystemFileHandle.prototype
  );
}

/**
 * Whether the writer worker's route is worth trying: OPFS and workers. Whether workers get
 * synchronous access handles shows only inside one (browsers expose them to dedicated workers
 * alone): the worker answers the first open with NotSupportedError where they do not, and the
 * route is not tried again.
 */
export function mayHaveSyncAccessHandles(): boolean {
  return !workerRouteUnsupported && typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' && typeof Worker !== 'undefined';
}

/**
 * The sink factory for this browser, best first: OPFS through the writer worker, OPFS through a
 * writable stream, a streamed download (large files, where the download worker runs), Blob parts.
 * Each is tried when a transfer starts, the next one if it fails: a
 * private window may refuse OPFS when it is asked (Firefox does), a page's policy may stop the
 * worker.
 */
export function pickSink(): FileSinkFactory {
  const routes: FileSinkFactory[] = [
    ...(hasOpfs() ? [createOpfsSink] : []),
  ];
  return async (request) => {
    for (const route of mayHaveSyncAccessHandles() ? [createOpfsWorkerSink, ...routes] : routes) {
      try {
        return await route(request);
      } catch (error) {
        // No room for the file: no other route has more (the worker's claims the whole size at once).
        if (error instanceof DOMException && error.name === 'QuotaExceededError') throw error;
        // Refused (a private window, a blocked worker, a storage error): the next route may work.
      }
    }
    if (request.size >= STREAMED_DOWNLOAD_FROM_BYTES) {
      try {
        const { createDownloadSink } = await import('./download-sink.js');
        return await createDownloadSink(request);
      } catch {
        // No download worker for this page (an embedding page without one): Blob parts it is.
      }
    }
    return createBlobPartsSink(request);
  };
}
