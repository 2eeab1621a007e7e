/**
 * A Blob's bytes from `offset` on, in pieces of the length asked for, through the Blob's stream:
 * in Chromium that reads a file for about a tenth of the browser's CPU of a `slice().arrayBuffer()`
 * per megabyte (one data pipe for the whole read, not one per slice), and the stream reads ahead
 * by itself, so the disk and the link work at the same time.
 */
export class BlobReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #size: number;
  #offset: number;
  /** What the stream gave and was not taken yet: `#piece` from `#pieceStart`. */
  #piece: Uint8Array = new Uint8Array(0);
  #pieceStart = 0;
  /** Where a piece that spans the stream's chunks is put together (the caller copies it at once). */
  #assembly: Uint8Array<ArrayBuffer> | undefined;

  constructor(blob: Blob, offset: number) {
    this.#size = blob.size;
    this.#offset = offset;
    this.#reader = blob.slice(offset).stream().getReader();
  }

  /**
   * The next `length` bytes. Valid only until the next read: the caller copies them (the sender
   * puts them into its frame). Throws if the Blob cannot be read any more, or is shorter than it was.
   */
  async read(length: number): Promise<Uint8Array> {
    if (this.#offset + length > this.#size) throw new RangeError('a read past the end of the file');
    const available = this.#piece.byteLength - this.#pieceStart;
    if (available >= length) return this.#take(length);
    const assembly = this.#assembly && this.#assembly.byteLength >= length ? this.#assembly : (this.#assembly = new Uint8Array(length));
    let filled = 0;
    while (filled < length) {
      if (this.#piece.byteLength === this.#pieceStart) {
        const { done, value } = await this.#reader.read();
        if (done) throw new Error('the file is shorter than when it was offered');
        this.#piece = value;
        this.#pieceStart = 0;
      }
      const taken = this.#take(Math.min(length - filled, this.#piece.byteLength - this.#pieceStart));
      assembly.set(taken, filled);
      filled += taken.byteLength;
    }
    return assembly.subarray(0, length);
  }

  /** Stops reading (the stream ended early): what the browser read ahead is let go. */
  cancel(): void {
    this.#reader.cancel().catch(() => undefined);
  }

  #take(length: number): Uint8Array {
    const bytes = this.#piece.subarray(this.#pieceStart, this.#pieceStart + length);
    this.#pieceStart += length;
    this.#offset += length;
    return bytes;
  }
}
