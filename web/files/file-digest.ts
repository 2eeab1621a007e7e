/**
 * A file's digest (protocol/file-digest.ts) with WebCrypto, one 1 MiB block at a time, so neither
 * the author hashing a 1 GiB file nor a receiver checking one ever holds more than a block of it.
 */
import { FILE_DIGEST_BLOCK_BYTES, fileDigestInput } from '../../protocol/file-digest.js';
import { base64url } from '../security/encoding.js';

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

/**
 * Takes a file's bytes in order, in pieces of any size, and hashes each block as it completes; at
 * most one block waits here. A receiver that resumes builds a new one from the digests of the
 * blocks it already has (blockDigests) and feeds it from there.
 */
export class BlockHasher {
  readonly #blockDigests: Uint8Array<ArrayBuffer>[];
  /** The unfinished block (allocated on first need: a caller feeding whole blocks never needs it). */
  #partial: Uint8Array<ArrayBuffer> | undefined;
  #partialLength = 0;
  /** Updates run one after another even if a caller does not wait for each. */
  #tail: Promise<void> = Promise.resolve();
  #finished = false;

  /** `resumeFrom`: the digests of the file's first blocks, already known (the offset is where they end). */
  constructor(resumeFrom: readonly Uint8Array<ArrayBuffer>[] = []) {
    this.#blockDigests = [...resumeFrom];
  }

  /** Bytes hashed or waiting in the unfinished block: where the next update's bytes belong. */
  get offset(): number {
    return this.#blockDigests.length * FILE_DIGEST_BLOCK_BYTES + this.#partialLength;
  }

  /** The digests of the whole blocks so far, in order (what a resuming receiver keeps). */
  get blockDigests(): readonly Uint8Array<ArrayBuffer>[] {
    return this.#blockDigests;
  }

  /**
   * Adds the next bytes of the file. Resolves once every block they complete is hashed. The bytes
   * are read before it resolves (or copied), so the caller must not change them until then.
   */
  update(bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    if (this.#finished) return Promise.reject(new Error('the digest is already finished'));
    const done = this.#tail.then(() => this.#consume(bytes));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  /** The file's digest (base64url): hashes the last, shorter block if there is one. */
  async finish(): Promise<string> {
    await this.#tail;
    this.#finished = true;
    const size = this.offset;
    if (this.#partialLength > 0) {
      this.#blockDigests.push(await sha256(this.#partial!.slice(0, this.#partialLength)));
      this.#partial = undefined;
      this.#partialLength = 0;
    }
    return base64url(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', fileDigestInput(size, this.#blockDigests))));
  }

  async #consume(bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    let rest = bytes;
    while (rest.byteLength > 0) {
      if (this.#partialLength === 0 && rest.byteLength >= FILE_DIGEST_BLOCK_BYTES) {
        // A whole block in the caller's bytes: hashed where it is, no copy.
        this.#blockDigests.push(await sha256(rest.subarray(0, FILE_DIGEST_BLOCK_BYTES)));
        rest = rest.subarray(FILE_DIGEST_BLOCK_BYTES);
        continue;
      }
      this.#partial ??= new Uint8Array(FILE_DIGEST_BLOCK_BYTES);
      const taken = Math.min(FILE_DIGEST_BLOCK_BYTES - this.#partialLength, rest.byteLength);
      this.#partial.set(rest.subarray(0, taken), this.#partialLength);
      this.#partialLength += taken;
      rest = rest.subarray(taken);
      if (this.#partialLength === FILE_DIGEST_BLOCK_BYTES) {
        this.#blockDigests.push(await sha256(this.#partial));
        this.#partialLength = 0;
      }
    }
  }
}

/**
 * The digest of a Blob (a File the user picked), read in order through its stream (far cheaper
 * than a slice per block: see BlobReader), so a 1 GiB file is never in memory at once.
 * `onProgress` hears the bytes hashed so far after each block.
 */
export async function digestOfBlob(blob: Blob, onProgress?: (hashedBytes: number, totalBytes: number) => void): Promise<string> {
  const hasher = new BlockHasher();
  const reader = blob.stream().getReader();
  let read = 0;
  let reported = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    read += value.byteLength;
    await hasher.update(value);
    if (read - reported >= FILE_DIGEST_BLOCK_BYTES || read === blob.size) {
      reported = read;
      onProgress?.(read, blob.size);
    }
  }
  if (read !== blob.size) throw new Error(`the file changed while it was read (${read} of ${blob.size} bytes)`);
  return hasher.finish();
}
