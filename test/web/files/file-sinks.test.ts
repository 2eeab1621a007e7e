// The sinks: Blob parts as they run in Node, and the OPFS sinks and the sweep against a small fake of
// the origin private file system and Web Locks (the real ones exist only in browsers). The writer
// worker's program runs from its own source text in a separate context, as a browser would run it,
// so a name it takes from its module instead of the globals fails here. The browser suites
// (files, engines) run the real thing in Chromium and Firefox.
import { resolveObjectURL } from 'node:buffer';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createBlobPartsSink,
  createOpfsSink,
  hasOpfs,
  pickSink,
  sweepLeftoverTransfers,
  TRANSFERS_DIRECTORY,
  type FileSink,
  type FileSinkRequest,
} from '../../../web/files/file-sinks.js';

const REQUEST: FileSinkRequest = { key: 'k', name: 'photo.jpg', mime: 'image/jpeg', size: 5 };
/** The request for a file of `size` bytes (what the receiver writes in all). */
const sized = (size: number): FileSinkRequest => ({ ...REQUEST, size });
const bytes = (...values: number[]): Uint8Array<ArrayBuffer> => new Uint8Array(values);
/** The bytes of a finished file (these sinks always give one back). */
const contents = async (blob: Blob | undefined): Promise<number[]> => {
  if (!blob) throw new Error('the sink gave no file back');
  return [...new Uint8Array(await blob.arrayBuffer())];
};
/** A sink's finished file (these sinks always give one back). */
const finished = async (sink: FileSink): Promise<File> => {
  const file = await sink.finish();
  if (!file) throw new Error('the sink gave no file back');
  return file;
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the Blob parts sink (the fallback)', () => {
  it('makes the file of the blocks written, named and typed as offered', async () => {
    const sink = createBlobPartsSink(REQUEST);
    await sink.write(0, bytes(1, 2, 3));
    await sink.write(3, bytes(4, 5));
    const file = await finished(sink);
    expect([file.name, file.type]).toEqual(['photo.jpg', 'image/jpeg']);
    expect(await contents(file)).toEqual([1, 2, 3, 4, 5]);
  });

  it('drops what lies past the offset it is truncated to (a resume)', async () => {
    const sink = createBlobPartsSink(REQUEST);
    await sink.write(0, bytes(1, 2));
    await sink.write(2, bytes(3, 4));
    await sink.truncate(2);
    await sink.write(2, bytes(9));
    expect(await contents(await sink.finish())).toEqual([1, 2, 9]);
  });

  it('is what Node (no OPFS) gets', async () => {
    expect(hasOpfs()).toBe(false);
    const sink = await pickSink()(REQUEST);
    await sink.write(0, bytes(7));
    expect(await contents(await sink.finish())).toEqual([7]);
  });
});

// ---- a fake origin private file system ----------------------------------------------------------

class FakeFileHandle {
  data = new Uint8Array(0);
  /** Set by a test: a synchronous write takes at most this many bytes (the spec lets it take fewer). */
  static writeLimit = Number.POSITIVE_INFINITY;
  /** Set by a test: the disk holds no more than this. */
  static quotaBytes = Number.POSITIVE_INFINITY;
  /** How many synchronous access handles are open now. */
  static openSyncHandles = 0;
  /** Set by a test: a browser whose workers have no synchronous access handles. */
  static syncHandlesInWorkers = true;
  /** Only in workers, in browsers: here on the handles made while syncHandlesInWorkers is set. */
  readonly createSyncAccessHandle?: () => Promise<unknown>;

  constructor(readonly name: string) {
    if (FakeFileHandle.syncHandlesInWorkers) this.createSyncAccessHandle = () => this.#openSyncAccessHandle();
  }

  async #openSyncAccessHandle(): Promise<unknown> {
    // Like the real one: writes go straight into the file.
    FakeFileHandle.openSyncHandles += 1;
    let closed = false;
    const live = (): void => {
      if (closed) throw new DOMException('closed', 'InvalidStateError');
    };
    return {
      write: (bytes: Uint8Array, { at }: { at: number }) => {
        live();
        const taken = bytes.subarray(0, FakeFileHandle.writeLimit);
        if (at + taken.byteLength > FakeFileHandle.quotaBytes) throw new DOMException('the disk is full', 'QuotaExceededError');
        const grown = new Uint8Array(Math.max(this.data.byteLength, at + taken.byteLength));
        grown.set(this.data);
        grown.set(taken, at);
        this.data = grown;
        return taken.byteLength;
      },
      truncate: (size: number) => {
        live();
        // Like the real one: a longer file is filled with zeros, within the quota.
        if (size > FakeFileHandle.quotaBytes) throw new DOMException('the disk is full', 'QuotaExceededError');
        const resized = new Uint8Array(size);
        resized.set(this.data.subarray(0, size));
        this.data = resized;
      },
      flush: () => live(),
      close: () => {
        if (!closed) FakeFileHandle.openSyncHandles -= 1;
        closed = true;
      },
    };
  }

  async createWritable({ keepExistingData = false } = {}): Promise<unknown> {
    // Like the real one: writes go to a copy, which replaces the file on close.
    let copy = keepExistingData ? this.data.slice() : new Uint8Array(0);
    return {
      write: async ({ position, data }: { type: 'write'; position: number; data: Uint8Array }) => {
        const grown = new Uint8Array(Math.max(copy.byteLength, position + data.byteLength));
        grown.set(copy);
        grown.set(data, position);
        copy = grown;
      },
      truncate: async (size: number) => {
        copy = copy.slice(0, size);
      },
      close: async () => {
        this.data = copy;
      },
      abort: async () => undefined,
    };
  }

  async getFile(): Promise<File> {
    return new File([this.data], this.name);
  }
}

class FakeDirectory {
  readonly entries = new Map<string, FakeDirectory | FakeFileHandle>();

  async getDirectoryHandle(name: string, { create = false } = {}): Promise<FakeDirectory> {
    let entry = this.entries.get(name);
    if (!entry && create) this.entries.set(name, (entry = new FakeDirectory()));
    if (!(entry instanceof FakeDirectory)) throw new DOMException('not found', 'NotFoundError');
    return entry;
  }

  async getFileHandle(name: string, { create = false } = {}): Promise<FakeFileHandle> {
    let entry = this.entries.get(name);
    if (!entry && create) this.entries.set(name, (entry = new FakeFileHandle(name)));
    if (!(entry instanceof FakeFileHandle)) throw new DOMException('not found', 'NotFoundError');
    return entry;
  }

  async removeEntry(name: string): Promise<void> {
    if (!this.entries.delete(name)) throw new DOMException('not found', 'NotFoundError');
  }

  async *keys(): AsyncIterable<string> {
    yield* [...this.entries.keys()];
  }
}

/**
 * A dedicated worker: runs the script its `blob:` URL holds in a context of its own whose only
 * globals are the browser's (the fake OPFS here); messages are structured clones, with transfers.
 */
class FakeWorker extends EventTarget {
  /** Set by a test: the page's policy refuses the script (the worker fires `error`, never runs). */
  static refuse = false;
  readonly #scope: { onmessage: ((event: { data: unknown }) => void) | null };

  constructor(url: string) {
    super();
    const source = resolveObjectURL(url);
    if (!source) throw new Error('no such blob URL');
    this.#scope = { onmessage: null };
    if (FakeWorker.refuse) {
      setTimeout(() => this.dispatchEvent(Object.assign(new Event('error'), { message: 'refused by Content-Security-Policy' })));
      return;
    }
    const post = (message: unknown, transfer: Transferable[] = []): void => {
      const data = structuredClone(message, { transfer: transfer as Transferable[] });
      setTimeout(() => this.dispatchEvent(new MessageEvent('message', { data })));
    };
    void source.text().then((code) => {
      // The worker's globals: what it may use in a browser; nothing of the page's modules.
      const globals = { navigator: globalThis.navigator, DOMException, Promise, Map, Error, postMessage: post };
      Object.assign(this.#scope, globals, { globalThis: this.#scope });
      runInNewContext(code, this.#scope);
    });
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    const data = structuredClone(message, { transfer: transfer as Transferable[] });
    setTimeout(() => this.#scope.onmessage?.({ data }));
  }
}

/** Installs the fake OPFS and Web Locks; returns the root and the lock names held. */
function installFakeOpfs(): { root: FakeDirectory; heldLocks: Set<string> } {
  const root = new FakeDirectory();
  const heldLocks = new Set<string>();
  vi.stubGlobal('FileSystemFileHandle', FakeFileHandle);
  vi.stubGlobal('navigator', {
    storage: { getDirectory: async () => root },
    locks: {
      request: (name: string, callback: () => Promise<unknown>) => {
        heldLocks.add(name);
        return callback();
      },
      query: async () => ({ held: [...heldLocks].map((name) => ({ name })) }),
    },
  });
  return { root, heldLocks };
}

/**
 * With 1, 2, 3 written at 0: a write, a truncation (a resume) and a write again land in place; the
 * file comes back under the offered name, the only entry; discarding removes it. `beforeFinish`
 * checks the sink's state while it is still open.
 */
async function writesInPlace(sink: FileSink, root: FakeDirectory, beforeFinish?: () => void): Promise<void> {
  await sink.write(3, bytes(4));
  await sink.truncate(3);
  await sink.write(3, bytes(5, 6));
  beforeFinish?.();
  const file = await finished(sink);
  expect([file.name, file.type]).toEqual(['photo.jpg', 'image/jpeg']);
  expect(await contents(file)).toEqual([1, 2, 3, 5, 6]);
  const directory = await root.getDirectoryHandle(TRANSFERS_DIRECTORY);
  expect(directory.entries.size).toBe(1);

  await sink.discard();
  expect(directory.entries.size).toBe(0);
}

/** The fake OPFS and a fake Worker: the writer worker's route. */
function installFakeOpfsWithWorker(): ReturnType<typeof installFakeOpfs> {
  const installed = installFakeOpfs();
  vi.stubGlobal('Worker', FakeWorker);
  return installed;
}

afterEach(() => {
  FakeFileHandle.writeLimit = Number.POSITIVE_INFINITY;
  FakeFileHandle.quotaBytes = Number.POSITIVE_INFINITY;
  FakeFileHandle.openSyncHandles = 0;
  FakeFileHandle.syncHandlesInWorkers = true;
  FakeWorker.refuse = false;
});

describe('the OPFS sink through the writer worker', () => {
  // The page keeps one writer worker: each test gets a fresh module, so a worker of its own that
  // sees this test's fake file system.
  const freshSinks = async (): Promise<typeof import('../../../web/files/file-sinks.js')> => {
    vi.resetModules();
    return import('../../../web/files/file-sinks.js');
  };

  it('is picked where workers have synchronous access handles, and writes each block in place', async () => {
    const { root } = installFakeOpfsWithWorker();
    const { pickSink, mayHaveSyncAccessHandles } = await freshSinks();
    expect(mayHaveSyncAccessHandles()).toBe(true);
    const sink = await pickSink()(REQUEST);
    const block = bytes(1, 2, 3);
    await sink.write(0, block);
    // Handed over, not copied: the page no longer holds the block.
    expect(block.byteLength).toBe(0);
    await writesInPlace(sink, root, () => expect(FakeFileHandle.openSyncHandles).toBe(1));
    expect(FakeFileHandle.openSyncHandles).toBe(0);
  });

  it('hands written blocks back for the next ones, so blocks are not allocated (and collected) one by one', async () => {
    installFakeOpfsWithWorker();
    const { pickSink } = await freshSinks();
    const sink = await pickSink()(sized(6));
    const first = sink.blockBuffer!(3);
    expect(first.byteLength).toBe(3);
    first.set([1, 2, 3]);
    await sink.write(0, first);
    expect(first.byteLength).toBe(0);
    const second = sink.blockBuffer!(3);
    // The same memory, come back from the worker, with what it held (the caller overwrites it).
    expect([...second]).toEqual([1, 2, 3]);
    second.set([4, 5, 6]);
    await sink.write(3, second);
    // A block of another length (the file's last) gets a buffer of its own.
    expect(sink.blockBuffer!(2).byteLength).toBe(2);
    expect(await contents(await sink.finish())).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('copies bytes that are part of a larger buffer rather than take the buffer from under its owner', async () => {
    installFakeOpfsWithWorker();
    const { pickSink } = await freshSinks();
    const sink = await pickSink()(sized(2));
    const buffer = bytes(9, 1, 2, 9);
    await sink.write(0, buffer.subarray(1, 3));
    expect([...buffer]).toEqual([9, 1, 2, 9]);
    expect(await contents(await sink.finish())).toEqual([1, 2]);
  });

  it('writes all the bytes when the access handle takes fewer at a time', async () => {
    installFakeOpfsWithWorker();
    FakeFileHandle.writeLimit = 2;
    const { pickSink } = await freshSinks();
    const sink = await pickSink()(REQUEST);
    await sink.write(0, bytes(1, 2, 3, 4, 5));
    expect(await contents(await sink.finish())).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps two transfers apart in the one worker', async () => {
    installFakeOpfsWithWorker();
    const { pickSink } = await freshSinks();
    const [first, second] = await Promise.all([pickSink()(sized(2)), pickSink()({ ...REQUEST, key: 'k2', name: 'b.bin', size: 1 })]);
    await Promise.all([first.write(0, bytes(1, 1)), second.write(0, bytes(2))]);
    expect(await contents(await first.finish())).toEqual([1, 1]);
    expect(await contents(await second.finish())).toEqual([2]);
  });

  it('claims the whole file when it opens: a file the disk has no room for is refused before any byte comes, as a QuotaExceededError', async () => {
    const { root } = installFakeOpfsWithWorker();
    FakeFileHandle.quotaBytes = 4;
    const { pickSink } = await freshSinks();
    // No other route is tried (none has more room): the receiver reports "not enough storage space".
    const refused = await pickSink()(sized(5)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DOMException);
    expect((refused as DOMException).name).toBe('QuotaExceededError');
    expect(FakeFileHandle.openSyncHandles).toBe(0);
    expect((await root.getDirectoryHandle(TRANSFERS_DIRECTORY)).entries.size).toBe(0);
    // A file that fits is written in place, and has its full size from the start.
    const sink = await pickSink()(sized(4));
    const entry = [...(await root.getDirectoryHandle(TRANSFERS_DIRECTORY)).entries.values()][0] as FakeFileHandle;
    expect(entry.data.byteLength).toBe(4);
    await sink.write(0, bytes(1, 2, 3, 4));
    expect(await contents(await sink.finish())).toEqual([1, 2, 3, 4]);
  });

  it('rejects a write the disk has no room for as a QuotaExceededError, which the receiver reports as such', async () => {
    installFakeOpfsWithWorker();
    const { pickSink } = await freshSinks();
    const sink = await pickSink()(sized(5));
    await sink.write(0, bytes(1, 2, 3));
    // The disk filled up since the file was claimed (another program wrote to it).
    FakeFileHandle.quotaBytes = 4;
    const refused = await sink.write(3, bytes(4, 5)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DOMException);
    expect((refused as DOMException).name).toBe('QuotaExceededError');
    await sink.discard();
    expect(FakeFileHandle.openSyncHandles).toBe(0);
  });

  it('falls back to the writable stream when the page does not let the worker start', async () => {
    installFakeOpfsWithWorker();
    FakeWorker.refuse = true;
    const { createOpfsWorkerSink, pickSink } = await freshSinks();
    const refused = await createOpfsWorkerSink(REQUEST).catch((error: unknown) => error);
    expect(String(refused)).toContain('the file writer stopped');
    const sink = await pickSink()(REQUEST);
    await sink.write(0, bytes(3, 4));
    expect(FakeFileHandle.openSyncHandles).toBe(0);
    expect(await contents(await sink.finish())).toEqual([3, 4]);
  });

  it('falls back to the writable stream where workers have no synchronous access handles, and does not try them again', async () => {
    const { root } = installFakeOpfsWithWorker();
    FakeFileHandle.syncHandlesInWorkers = false;
    const { pickSink, mayHaveSyncAccessHandles } = await freshSinks();
    expect(mayHaveSyncAccessHandles()).toBe(true);
    const sink = await pickSink()(REQUEST);
    await sink.write(0, bytes(3, 4));
    expect(await contents(await sink.finish())).toEqual([3, 4]);
    expect(mayHaveSyncAccessHandles()).toBe(false);
    // The entry the worker made for its failed attempt is gone: only the file received is left.
    expect((await root.getDirectoryHandle(TRANSFERS_DIRECTORY)).entries.size).toBe(1);
  });
});

describe('the OPFS sink through a writable stream', () => {
  it('writes each block in place into a file of its own, and gives back that file under the offered name', async () => {
    const { root } = installFakeOpfs();
    expect(hasOpfs()).toBe(true);
    const sink = await pickSink()(REQUEST);
    await sink.write(0, bytes(1, 2, 3));
    await writesInPlace(sink, root);
  });

  it('falls back to Blob parts when the browser refuses OPFS (a private window)', async () => {
    installFakeOpfs();
    vi.stubGlobal('navigator', { storage: { getDirectory: () => Promise.reject(new DOMException('refused', 'SecurityError')) } });
    const sink = await pickSink()(REQUEST);
    await sink.write(0, bytes(8));
    expect(await contents(await sink.finish())).toEqual([8]);
    await expect(createOpfsSink(REQUEST)).rejects.toThrow('refused');
  });

  it('sweeps what earlier pages left, and keeps what pages still open (and this one) are writing', async () => {
    const { root, heldLocks } = installFakeOpfs();
    const ours = await createOpfsSink(REQUEST);
    await ours.write(0, bytes(1));
    const directory = await root.getDirectoryHandle(TRANSFERS_DIRECTORY);
    await directory.getFileHandle('0123456789abcdef-1', { create: true }); // a page that is gone
    await directory.getFileHandle('fedcba9876543210-3', { create: true }); // a page in another tab
    heldLocks.add('parley-transfers/fedcba9876543210');

    expect(await sweepLeftoverTransfers()).toBe(1);
    expect(directory.entries.has('0123456789abcdef-1')).toBe(false);
    expect(directory.entries.has('fedcba9876543210-3')).toBe(true);
    expect(directory.entries.size).toBe(2);
    expect(await contents(await ours.finish())).toEqual([1]);
  });
});
