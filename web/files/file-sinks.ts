/**
 * Where a receiver puts a file's bytes while they arrive, so that a 1 GiB file never sits in the
 * page's memory: the origin private file system (OPFS) where the browser can write into it, Blob
 * parts (which browsers may move to disk) where it cannot.
 */

/** A file being received: whole blocks, written in order, at their offset. */
export interface FileSink {
  /** Writes `bytes` at `offset` (the end of what is written so far). Rejects on a storage error (quota). */
  write(offset: number, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Drops everything from `offset` on (a resumed transfer starts again from its confirmed offset). */
  truncate(offset: number): Promise<void>;
  /** Everything written, as the file to show or save (named and typed as offered). */
  finish(): Promise<File>;
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

/**
 * A file in the origin private file system, one per transfer, written in place
 * (createWritable with keepExistingData, each block at its position). The file it gives back is
 * disk-backed: memory stays bounded whatever the size.
 */
export async function createOpfsSink({ name, mime }: FileSinkRequest): Promise<FileSink> {
  holdPageLock();
  const directory = await transfersDirectory();
  entryCount += 1;
  // Not the offer id: entry names are the page's, so the sweep can tell a live page's from a leftover.
  const entryName = `${PAGE_ID}-${entryCount}`;
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
      // A File made of the disk-backed one refers to it (nothing is copied), with the offered name.
      return new File([await handle.getFile()], name, { type: mime });
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
 * The sink factory for this browser: OPFS where it can write files, else Blob parts. A private
 * window may refuse OPFS when it is asked (Firefox does): that transfer falls back too.
 */
export function pickSink(): FileSinkFactory {
  if (!hasOpfs()) return async (request) => createBlobPartsSink(request);
  return async (request) => {
    try {
      return await createOpfsSink(request);
    } catch {
      // Refused (a private window, a storage error): the transfer can still go through Blob parts.
      return createBlobPartsSink(request);
    }
  };
}
