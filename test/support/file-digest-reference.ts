// A file's digest (protocol/file-digest.ts) computed apart from the product's code, with Node's
// own SHA-256 over the whole file in memory: what the block-by-block WebCrypto version must match.
import { createHash } from 'node:crypto';

const BLOCK_BYTES = 1024 * 1024;

export function referenceBlockDigests(bytes: Uint8Array): Buffer[] {
  const digests: Buffer[] = [];
  for (let start = 0; start < bytes.byteLength; start += BLOCK_BYTES) {
    digests.push(createHash('sha256').update(bytes.subarray(start, start + BLOCK_BYTES)).digest());
  }
  return digests;
}

/** 'parley/file-digest/v1' ‖ 0x00 ‖ size (uint64 big-endian) ‖ SHA-256 of each 1 MiB block. */
export function referenceDigestInput(bytes: Uint8Array): Buffer {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(bytes.byteLength));
  return Buffer.concat([Buffer.from('parley/file-digest/v1', 'ascii'), Buffer.from([0]), size, ...referenceBlockDigests(bytes)]);
}

export function referenceDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(referenceDigestInput(bytes)).digest('base64url');
}
