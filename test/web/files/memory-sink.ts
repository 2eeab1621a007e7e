// A FileSink in memory for the transfer tests: it checks that blocks come in order, records what
// happened to it, and can be told to run out of space.
import type { FileSink, FileSinkFactory, FileSinkRequest } from '../../../web/files/file-sinks.js';

export class MemorySink implements FileSink {
  readonly request: FileSinkRequest;
  #bytes: Uint8Array<ArrayBuffer>;
  /** Bytes written so far (the end of the file as stored). */
  length = 0;
  /** Every write, as `offset+length`. */
  readonly writes: string[] = [];
  readonly truncations: number[] = [];
  finished = false;
  discarded = false;
  /** A write reaching beyond this fails as a full disk would. */
  quotaBytes = Number.POSITIVE_INFINITY;
  /** Writes wait for this (a slow disk, a download the browser does not ask more of) when it is set. */
  gate: Promise<void> | undefined;
  /** The next write fails with this (a download the person cancelled in the browser). */
  failNextWrite: Error | undefined;
  /** Set when the receiver stopped the sink: writes waiting at the gate then give up, as a download's do. */
  stopped = false;
  #stop: (() => void) | undefined;
  readonly #stopping = new Promise<never>((_resolve, reject) => (this.#stop = () => reject(new DOMException('the sink was stopped', 'AbortError'))));

  constructor(request: FileSinkRequest) {
    this.request = request;
    this.#bytes = new Uint8Array(request.size);
  }

  async write(offset: number, given: Uint8Array<ArrayBuffer>): Promise<void> {
    // Takes the caller's buffer, as the worker sink does (FileSink.write allows it): a caller that
    // still reads the bytes afterwards finds them gone here too.
    const bytes = given.byteOffset === 0 && given.byteLength === given.buffer.byteLength ? new Uint8Array(structuredClone(given.buffer, { transfer: [given.buffer] })) : given.slice();
    const failure = this.failNextWrite;
    this.failNextWrite = undefined;
    if (failure) throw failure;
    await Promise.race([this.gate, this.#stopping]);
    if (this.discarded || this.finished) throw new Error('write after the sink was closed');
    if (offset !== this.length) throw new Error(`write at ${offset}, expected ${this.length}`);
    if (offset + bytes.byteLength > this.quotaBytes) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.#bytes.set(bytes, offset);
    this.length += bytes.byteLength;
    this.writes.push(`${offset}+${bytes.byteLength}`);
  }

  stop(): void {
    this.stopped = true;
    this.#stopping.catch(() => undefined);
    this.#stop?.();
  }

  async truncate(offset: number): Promise<void> {
    this.truncations.push(offset);
    this.length = Math.min(this.length, offset);
  }

  async finish(): Promise<File> {
    this.finished = true;
    return new File([this.#bytes.slice(0, this.length)], this.request.name, { type: this.request.mime });
  }

  async discard(): Promise<void> {
    this.discarded = true;
    this.length = 0;
    this.#bytes = new Uint8Array(0);
  }

  /** What is stored now. */
  contents(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }
}

/** A sink factory that keeps every sink it made, by offer id. */
export function memorySinks(onCreate?: (sink: MemorySink) => void): { createSink: FileSinkFactory; sinks: Map<string, MemorySink> } {
  const sinks = new Map<string, MemorySink>();
  return {
    sinks,
    createSink: async (request) => {
      const sink = new MemorySink(request);
      sinks.set(request.key, sink);
      onCreate?.(sink);
      return sink;
    },
  };
}
