// The sender's reader of a picked file: pieces of the asked length whatever sizes the Blob's stream
// gives them in, from any offset (a resume), and an error, not short or wrong bytes, when the file
// is no longer what was offered.
import { describe, expect, it } from 'vitest';
import { BlobReader } from '../../../web/files/blob-reader.js';

const fileOf = (size: number): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: size }, (_, index) => (index * 7 + 3) % 251);

/**
 * A Blob whose stream gives its bytes in pieces of the sizes listed (over and over), as a
 * browser's may: Node's own gives one piece per part, which would not show a piece split in two.
 */
function blobInPieces(bytes: Uint8Array<ArrayBuffer>, pieceSizes: readonly number[], { endsAt = bytes.byteLength } = {}): Blob {
  const sliceFrom = (start: number): Blob =>
    ({
      size: bytes.byteLength - start,
      slice: (from = 0) => sliceFrom(start + from),
      stream: () => {
        let at = start;
        let next = 0;
        return new ReadableStream<Uint8Array<ArrayBuffer>>({
          pull(controller) {
            if (at >= endsAt) return controller.close();
            const size = pieceSizes[next++ % pieceSizes.length]!;
            controller.enqueue(bytes.slice(at, Math.min(at + size, endsAt)));
            at += size;
          },
        });
      },
    }) as unknown as Blob;
  return sliceFrom(0);
}

async function readAll(reader: BlobReader, from: number, size: number, step: number): Promise<number[]> {
  const read: number[] = [];
  for (let at = from; at < size; at += step) read.push(...(await reader.read(Math.min(step, size - at))));
  return read;
}

describe('BlobReader', () => {
  it('gives pieces of the length asked for, across the pieces the stream gives', async () => {
    const bytes = fileOf(1000);
    for (const pieceSizes of [[1000], [64], [7, 300, 1], [999, 1]]) {
      const reader = new BlobReader(blobInPieces(bytes, pieceSizes), 0);
      expect(await readAll(reader, 0, 1000, 64)).toEqual([...bytes]);
    }
  });

  it('starts at an offset (a transfer that resumes)', async () => {
    const bytes = fileOf(1000);
    const reader = new BlobReader(blobInPieces(bytes, [100]), 450);
    expect(await readAll(reader, 450, 1000, 64)).toEqual([...bytes.subarray(450)]);
  });

  it('reads a real Blob of several parts', async () => {
    const bytes = fileOf(200_000);
    const blob = new Blob([bytes.subarray(0, 70_000), bytes.subarray(70_000, 70_001), bytes.subarray(70_001)]);
    expect(await readAll(new BlobReader(blob, 0), 0, 200_000, 65_536)).toEqual([...bytes]);
    expect(await readAll(new BlobReader(blob, 69_999), 69_999, 200_000, 65_536)).toEqual([...bytes.subarray(69_999)]);
  });

  it('fails when the file ends before its offered size (it changed on disk), and for a read past the end', async () => {
    const shortened = new BlobReader(blobInPieces(fileOf(1000), [300], { endsAt: 900 }), 0);
    await expect(readAll(shortened, 0, 1000, 64)).rejects.toThrow('the file is shorter than when it was offered');
    await expect(new BlobReader(blobInPieces(fileOf(10), [10]), 8).read(3)).rejects.toThrow(RangeError);
  });

  it('fails when the stream fails (the file was moved or deleted)', async () => {
    const broken = {
      size: 10,
      slice: () => broken,
      stream: () => new ReadableStream({ pull: (controller) => controller.error(new DOMException('the file could not be read', 'NotReadableError')) }),
    } as unknown as Blob;
    await expect(new BlobReader(broken, 0).read(4)).rejects.toThrow('the file could not be read');
  });
});
