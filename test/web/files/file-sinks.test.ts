// The sinks: Blob parts as they run in Node, and the OPFS sink and its sweep against a small fake of
// the origin private file system and Web Locks (the real ones exist only in browsers).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBlobPartsSink, createOpfsSink, hasOpfs, pickSink, sweepLeftoverTransfers, TRANSFERS_DIRECTORY, type FileSinkRequest } from '../../../web/files/file-sinks.js';

const REQUEST: FileSinkRequest = { key: 'k', name: 'photo.jpg', mime: 'image/jpeg', size: 10 };
const bytes = (...values: number[]): Uint8Array<ArrayBuffer> => new Uint8Array(values);
const contents = async (blob: Blob): Promise<number[]> => [...new Uint8Array(await blob.arrayBuffer())];

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the Blob parts sink (the fallback)', () => {
  it('makes the file of the blocks written, named and typed as offered', async () => {
    const sink = createBlobPartsSink(REQUEST);
    await sink.write(0, bytes(1, 2, 3));
    await sink.write(3, bytes(4, 5));
    const file = await sink.finish();
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
  constructor(readonly name: string) {}

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

describe('the OPFS sink', () => {
  it('writes each block in place into a file of its own, and gives back that file under the offered name', async () => {
    const { root } = installFakeOpfs();
    expect(hasOpfs()).toBe(true);
    const sink = await pickSink()(REQUEST);
    await sink.write(0, bytes(1, 2, 3));
    await sink.write(3, bytes(4));
    await sink.truncate(3);
    await sink.write(3, bytes(5, 6));
    const file = await sink.finish();
    expect([file.name, file.type]).toEqual(['photo.jpg', 'image/jpeg']);
    expect(await contents(file)).toEqual([1, 2, 3, 5, 6]);
    const directory = await root.getDirectoryHandle(TRANSFERS_DIRECTORY);
    expect(directory.entries.size).toBe(1);

    await sink.discard();
    expect(directory.entries.size).toBe(0);
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
