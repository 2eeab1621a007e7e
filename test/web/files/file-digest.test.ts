// The WebCrypto digest, block by block, against the reference over the whole file (node:crypto).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FILE_DIGEST_BLOCK_BYTES } from '../../../protocol/file-digest.js';
import { BlockHasher, digestOfBlob } from '../../../web/files/file-digest.js';
import { referenceDigest } from '../../support/file-digest-reference.js';

const MiB = FILE_DIGEST_BLOCK_BYTES;
const SIZES: [string, number][] = [
  ['0 bytes', 0],
  ['1 byte', 1],
  ['exactly 1 MiB', MiB],
  ['1 MiB + 1', MiB + 1],
  ['3.5 MiB', 3.5 * MiB],
];

const bytesOf = (size: number): Uint8Array<ArrayBuffer> => new Uint8Array(randomBytes(size));

/** Feeds `bytes` to `hasher` in pieces of the given sizes, over and over. */
async function feed(hasher: BlockHasher, bytes: Uint8Array<ArrayBuffer>, pieceSizes: number[]): Promise<void> {
  for (let start = 0, index = 0; start < bytes.byteLength; index += 1) {
    const end = Math.min(bytes.byteLength, start + pieceSizes[index % pieceSizes.length]!);
    await hasher.update(bytes.slice(start, end));
    start = end;
  }
}

describe('BlockHasher', () => {
  it.each(SIZES)('gives the reference digest of %s, whatever the pieces it is fed', async (_name, size) => {
    const bytes = bytesOf(size);
    const expected = referenceDigest(bytes);
    for (const pieces of [[size || 1], [64 * 1024], [1, 1000, 300_000, MiB + 5]]) {
      const hasher = new BlockHasher();
      await feed(hasher, bytes, pieces);
      expect(hasher.offset).toBe(size);
      expect(await hasher.finish()).toBe(expected);
    }
  });

  it('keeps the digests of whole blocks only, and resumes from them at a block boundary', async () => {
    const bytes = bytesOf(3.5 * MiB);
    const first = new BlockHasher();
    await first.update(bytes.slice(0, 2 * MiB + 100));
    expect(first.blockDigests).toHaveLength(2);
    expect(first.offset).toBe(2 * MiB + 100);

    // A receiver whose link dropped keeps the two block digests and hashes the rest afresh.
    const resumed = new BlockHasher(first.blockDigests);
    expect(resumed.offset).toBe(2 * MiB);
    await resumed.update(bytes.slice(2 * MiB));
    expect(await resumed.finish()).toBe(referenceDigest(bytes));
  });

  it('hashes updates in order even when the caller does not wait for each', async () => {
    const bytes = bytesOf(2 * MiB + 3);
    const hasher = new BlockHasher();
    const pending = [hasher.update(bytes.slice(0, 700_000)), hasher.update(bytes.slice(700_000, 1_500_000)), hasher.update(bytes.slice(1_500_000))];
    await Promise.all(pending);
    expect(await hasher.finish()).toBe(referenceDigest(bytes));
  });

  it('takes nothing after finish', async () => {
    const hasher = new BlockHasher();
    await hasher.finish();
    await expect(hasher.update(new Uint8Array(1))).rejects.toThrow(/finished/);
  });
});

describe('digestOfBlob', () => {
  it.each(SIZES)('gives the reference digest of %s, reading it through its stream, never as one ArrayBuffer', async (_name, size) => {
    const bytes = bytesOf(size);
    const blob = new Blob([bytes]);
    let streamed = 0;
    // The stream in 64 KiB pieces, as a browser gives a file (Node gives a small Blob in one).
    blob.stream = () => {
      streamed += 1;
      let at = 0;
      return new ReadableStream<Uint8Array<ArrayBuffer>>({
        pull(controller) {
          if (at >= size) return controller.close();
          controller.enqueue(bytes.slice(at, at + 64 * 1024));
          at += 64 * 1024;
        },
      });
    };
    blob.arrayBuffer = () => Promise.reject(new Error('the whole file was read into memory'));
    const progress: number[] = [];
    expect(await digestOfBlob(blob, (hashed) => progress.push(hashed))).toBe(referenceDigest(bytes));
    expect(streamed).toBe(1);
    // Told once a block, and at the end: not once a piece.
    const blockEnds = Array.from({ length: Math.floor(size / MiB) }, (_, index) => (index + 1) * MiB);
    expect(progress).toEqual(size % MiB === 0 ? blockEnds : [...blockEnds, size]);
  });

  it('fails when the file ends before its size (it changed while it was read)', async () => {
    const shortened = {
      size: 10,
      stream: () => new Blob([new Uint8Array(6)]).stream(),
    } as unknown as Blob;
    await expect(digestOfBlob(shortened)).rejects.toThrow('the file changed while it was read (6 of 10 bytes)');
  });
});
