// The layout of a file digest's input, against one built independently with node:crypto.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLOCK_DIGEST_BYTES, FILE_DIGEST_BLOCK_BYTES, fileDigestBlockCount, fileDigestInput } from '../../protocol/file-digest.js';
import { DIGEST_PATTERN } from '../../protocol/ids.js';
import { referenceBlockDigests, referenceDigest, referenceDigestInput } from '../support/file-digest-reference.js';

const MiB = FILE_DIGEST_BLOCK_BYTES;

describe('fileDigestInput', () => {
  it.each([
    ['0 bytes (no blocks)', 0],
    ['1 byte', 1],
    ['exactly 1 MiB', MiB],
    ['1 MiB + 1', MiB + 1],
    ['3.5 MiB', 3.5 * MiB],
  ])('lays out %s as the reference does', (_name, size) => {
    const bytes = randomBytes(size);
    const blocks = referenceBlockDigests(bytes);
    expect(blocks).toHaveLength(fileDigestBlockCount(size));
    expect(Buffer.from(fileDigestInput(size, blocks))).toEqual(referenceDigestInput(bytes));
    expect(referenceDigest(bytes)).toMatch(new RegExp(DIGEST_PATTERN));
  });

  it('writes sizes beyond 4 GiB in full (uint64)', () => {
    const size = 5 * 1024 ** 3 + 7;
    const blocks = Array.from({ length: fileDigestBlockCount(size) }, () => new Uint8Array(BLOCK_DIGEST_BYTES));
    const input = fileDigestInput(size, blocks);
    const header = 'parley/file-digest/v1'.length + 1;
    expect(new DataView(input.buffer).getBigUint64(header)).toBe(BigInt(size));
  });

  it('refuses block digests that do not fit the size (a caller bug)', () => {
    expect(() => fileDigestInput(MiB + 1, [new Uint8Array(BLOCK_DIGEST_BYTES)])).toThrow(RangeError);
    expect(() => fileDigestInput(1, [new Uint8Array(31)])).toThrow(RangeError);
    expect(() => fileDigestInput(-1, [])).toThrow(RangeError);
  });
});
