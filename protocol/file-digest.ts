/**
 * How a file offer's `digest` is made (protocol/peer.ts, act kind `file`). Pure layout: each side
 * hashes with its own SHA-256 (the browser with WebCrypto, web/files/file-digest.ts).
 *
 * Not a plain SHA-256 of the bytes: WebCrypto cannot hash incrementally, and neither side may hold
 * a whole file (1 GiB and more) in memory. So the file is cut into blocks of
 * FILE_DIGEST_BLOCK_BYTES (the last one shorter; a 0-byte file has none), each block is hashed
 * alone, and the digest is
 *
 *   base64url(SHA-256(FILE_DIGEST_CONTEXT ‖ 0x00 ‖ size as uint64 big-endian ‖ SHA-256(block 1) ‖ … ‖ SHA-256(block n)))
 *
 * base64url without padding, 43 characters (DIGEST_PATTERN in protocol/ids.ts). The size is in
 * the input so that two files cannot share a digest by cutting differently; the context keeps the
 * hash apart from every other SHA-256 Parley makes.
 */

/** The label in front of every file digest's input (ASCII). */
export const FILE_DIGEST_CONTEXT = 'parley/file-digest/v1';
/** Bytes per hashed block: 1 MiB. A receiver also confirms (acks) and stores whole blocks. */
export const FILE_DIGEST_BLOCK_BYTES = 1024 * 1024;
/** A block's SHA-256, raw. */
export const BLOCK_DIGEST_BYTES = 32;

/** How many blocks a file of `size` bytes is cut into. */
export function fileDigestBlockCount(size: number): number {
  return Math.ceil(size / FILE_DIGEST_BLOCK_BYTES);
}

/**
 * The bytes whose SHA-256 is the digest of a file of `size` bytes with these block digests (in
 * order, one for each block). Throws if they do not fit together: that is a caller's bug, never
 * input from the network.
 */
export function fileDigestInput(size: number, blockDigests: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`not a file size: ${size}`);
  if (blockDigests.length !== fileDigestBlockCount(size)) {
    throw new RangeError(`a file of ${size} bytes has ${fileDigestBlockCount(size)} blocks, not ${blockDigests.length}`);
  }
  const contextLength = FILE_DIGEST_CONTEXT.length;
  const header = contextLength + 1 + 8;
  const input = new Uint8Array(header + blockDigests.length * BLOCK_DIGEST_BYTES);
  for (let index = 0; index < contextLength; index += 1) input[index] = FILE_DIGEST_CONTEXT.charCodeAt(index);
  // input[contextLength] stays 0: the separator.
  const view = new DataView(input.buffer);
  view.setUint32(contextLength + 1, Math.floor(size / 2 ** 32));
  view.setUint32(contextLength + 5, size >>> 0);
  blockDigests.forEach((digest, index) => {
    if (digest.byteLength !== BLOCK_DIGEST_BYTES) throw new RangeError(`block digest ${index} is ${digest.byteLength} bytes, not ${BLOCK_DIGEST_BYTES}`);
    input.set(digest, header + index * BLOCK_DIGEST_BYTES);
  });
  return input;
}
