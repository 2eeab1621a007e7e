/**
 * Receives one accepted file offer from its author. It asks for the bytes (`file-get`, from 0, or
 * from what it already has when it resumes on a new link), takes the chunks of its own stream in
 * exact order, assembles 1 MiB blocks, hashes each (BlockHasher) and writes it to a sink, then
 * confirms it (`file-ack`): one ack a block, the sender keeping a window ahead, not stop-and-wait.
 * At the end the digest must be the offer's, or the file is thrown away as corrupt.
 *
 * Everything the author sends is checked: a chunk at any offset but the next one, past the size or
 * past the sender's window is a protocol violation that ends the transfer, and nothing of it is
 * written. Memory stays bounded: the block being filled, plus the blocks of the window waiting for
 * the sink.
 */
import { Emitter } from '../shared/emitter.js';
import type { Clock } from '../shared/clock.js';
import { FileStopReason, PeerMessageType, type FileChunk, type FileOffer } from '../../protocol/peer.js';
import { FILE_DIGEST_BLOCK_BYTES } from '../../protocol/file-digest.js';
import { BlockHasher } from './file-digest.js';
import type { FileSink, FileSinkFactory } from './file-sinks.js';
import { SEND_WINDOW_BYTES, type FileFrame } from './file-sender.js';
import { PROGRESS_EVENT_INTERVAL_MS, TransferProgress, type TransferProgressSnapshot } from './transfer-progress.js';

export type IncomingFailure =
  /** The author no longer has the file (a reload) or cannot read it. */
  | 'unavailable'
  /** The bytes did not match the offer's digest. */
  | 'corrupt'
  /** The author's side broke the protocol (a chunk out of order, past the end, past the window). */
  | 'protocol'
  /** This browser could not store the file (quota, a storage error). */
  | 'storage'
  /** The browser's download of it stopped (a streamed download whose service worker the browser stopped). */
  | 'download-stopped';

export type IncomingState =
  /** Waiting for the author's link, or for the first bytes. */
  | { state: 'waiting' }
  | { state: 'receiving' }
  /** The author's link is down; the transfer resumes from what was confirmed when it is back. */
  | { state: 'paused' }
  /** Every byte is here; the digest is being checked. */
  | { state: 'verifying' }
  /** `file`: undefined when it went into the browser's downloads as it arrived (a browser without OPFS). */
  | { state: 'complete'; file: File | undefined }
  | { state: 'cancelled'; by: 'receiver' | 'sender' }
  | { state: 'failed'; reason: IncomingFailure; detail: string };

export interface IncomingStatus {
  offerId: string;
  authorId: string;
  state: IncomingState;
  /** Bytes received so far, the speed, the time left. */
  progress: TransferProgressSnapshot;
}

interface FileReceiverEvents {
  status: IncomingStatus;
}

export interface FileReceiverOptions {
  offerId: string;
  offer: FileOffer;
  authorId: string;
  /** Sends a frame to the author; false if its link is down. */
  send(frame: FileFrame): boolean;
  createSink: FileSinkFactory;
  clock: Pick<Clock, 'now'>;
}

const OVER: ReadonlySet<IncomingState['state']> = new Set(['complete', 'cancelled', 'failed']);

export class FileReceiver extends Emitter<FileReceiverEvents> {
  readonly offerId: string;
  readonly authorId: string;
  readonly #offer: FileOffer;
  readonly #send: (frame: FileFrame) => boolean;
  readonly #createSink: FileSinkFactory;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #progress: TransferProgress;
  /** Digests of the confirmed blocks; kept across links, so a resume hashes only what is new. */
  readonly #hasher = new BlockHasher();
  #sink: FileSink | undefined;
  #state: IncomingState = { state: 'waiting' };
  /** The stream chunks are taken on: set once its `file-get` is sent, cleared when the link goes. */
  #stream: number | undefined;
  /** Bumped whenever the stream changes or the transfer ends: async work of an older one stops. */
  #generation = 0;
  /** Everything before this is written to the sink (and confirmed to the author). */
  #confirmed = 0;
  /** The offset the next chunk must have. */
  #expected = 0;
  /** The block being filled, from `#blockStart`. */
  #block: Uint8Array<ArrayBuffer> | undefined;
  #blockStart = 0;
  /** Blocks are hashed, written and confirmed one after another. */
  #work: Promise<void> = Promise.resolve();
  #lastProgressEventAt = Number.NEGATIVE_INFINITY;
  /** Complete, and the author not yet told (the last blocks were written after its link dropped). */
  #completionUntold = false;

  constructor({ offerId, offer, authorId, send, createSink, clock }: FileReceiverOptions) {
    super();
    this.offerId = offerId;
    this.authorId = authorId;
    this.#offer = offer;
    this.#send = send;
    this.#createSink = createSink;
    this.#clock = clock;
    this.#progress = new TransferProgress(offer.size, clock);
  }

  get status(): IncomingStatus {
    return { offerId: this.offerId, authorId: this.authorId, state: this.#state, progress: this.#progress.snapshot() };
  }

  /** The stream whose chunks this receiver takes now, if any. */
  get stream(): number | undefined {
    return this.#stream;
  }

  get isOver(): boolean {
    return OVER.has(this.#state.state);
  }

  /**
   * Whether it waits for the author's link: to start, to resume, or to tell the author it has the
   * whole file (it was completed from blocks written after the link dropped).
   */
  get needsLink(): boolean {
    return ((this.#state.state === 'waiting' || this.#state.state === 'paused') && this.#stream === undefined) || this.#completionUntold;
  }

  /**
   * The author's link is up (again): asks for the bytes from what is confirmed, on `stream` (a
   * number not used before on this link). Blocks of the last link still being written are
   * finished first, so it asks from exactly where they end.
   */
  connect(stream: number): void {
    if (this.#completionUntold) return this.#tellAuthorComplete(stream);
    if (this.isOver || this.#state.state === 'verifying') return;
    const generation = this.#restart();
    void this.#ask(stream, generation);
  }

  /** The author's link closed: the block being filled is dropped; the rest is kept for a resume. */
  pause(): void {
    if (this.isOver || this.#state.state === 'verifying') return;
    this.#restart();
    this.#setState({ state: 'paused' });
  }

  /** The user gave up: the author is told (if its link is up), and what was received is deleted. */
  cancel(): void {
    if (this.isOver) return;
    if (this.#stream !== undefined) this.#send({ type: PeerMessageType.FileCancel, file: this.offerId, stream: this.#stream, reason: FileStopReason.Cancelled });
    this.#end({ state: 'cancelled', by: 'receiver' });
  }

  /**
   * The author's `file-cancel`: for this transfer's stream, or (without one) for the file. False
   * if it is not about the stream running now (a late one, for an earlier stream).
   */
  handleCancel(stream: number | undefined, reason: FileStopReason): boolean {
    if (this.isOver || this.#state.state === 'verifying') return false;
    if (stream !== undefined && stream !== this.#stream) return false;
    if (reason === FileStopReason.Cancelled) this.#end({ state: 'cancelled', by: 'sender' });
    else this.#end({ state: 'failed', reason: 'unavailable', detail: `the sender stopped: ${reason}` });
    return true;
  }

  /**
   * A chunk from the author (the caller routed it by link and stream). False if it is refused; a
   * chunk on this stream at the wrong place ends the transfer as a protocol violation.
   */
  handleChunk(chunk: FileChunk): boolean {
    if (this.#stream === undefined || chunk.stream !== this.#stream) return false;
    const size = this.#offer.size;
    const length = chunk.bytes.byteLength;
    const end = chunk.offset + length;
    if (chunk.offset !== this.#expected) return this.#violation(`a chunk at ${chunk.offset} where ${this.#expected} was next`);
    if (end > size) return this.#violation(`a chunk up to ${end} of a file of ${size} bytes`);
    if (end - this.#confirmed > SEND_WINDOW_BYTES) return this.#violation(`a chunk up to ${end}, beyond the window past ${this.#confirmed}`);
    const stream = this.#stream;
    let bytes = chunk.bytes;
    while (bytes.byteLength > 0) {
      if (!this.#block) {
        this.#blockStart = this.#expected;
        const length = Math.min(FILE_DIGEST_BLOCK_BYTES, size - this.#blockStart);
        this.#block = this.#sink?.blockBuffer?.(length) ?? new Uint8Array(length);
      }
      const filled = this.#expected - this.#blockStart;
      const taken = Math.min(this.#block.byteLength - filled, bytes.byteLength);
      this.#block.set(bytes.subarray(0, taken), filled);
      this.#expected += taken;
      bytes = bytes.subarray(taken);
      if (this.#expected - this.#blockStart === this.#block.byteLength) {
        const block = this.#block;
        const offset = this.#blockStart;
        this.#block = undefined;
        this.#work = this.#work.then(() => this.#commit(offset, block, stream));
      }
    }
    this.#progress.update(this.#expected);
    if (this.#state.state === 'waiting') this.#setState({ state: 'receiving' });
    else this.#progressEvent();
    return true;
  }

  /** Deletes what is stored (a finished file too: it is not shown any more). Ends the transfer if it runs. */
  async discard(): Promise<void> {
    if (!this.isOver) this.#end({ state: 'cancelled', by: 'receiver' });
    const sink = this.#sink;
    this.#sink = undefined;
    await this.#work;
    await sink?.discard();
  }

  /** Forgets the stream and the block being filled; returns the new generation. */
  #restart(): number {
    this.#generation += 1;
    this.#stream = undefined;
    this.#block = undefined;
    this.#expected = this.#confirmed;
    return this.#generation;
  }

  async #ask(stream: number, generation: number): Promise<void> {
    try {
      await this.#work;
      if (generation !== this.#generation) return;
      if (this.#state.state === 'complete') {
        // The last blocks, received before the link dropped, were written (and the file checked)
        // while this waited: the author only needs to hear that it has it all.
        this.#tellAuthorComplete(stream);
        return;
      }
      if (this.isOver || this.#state.state === 'verifying') return;
      const sink = await this.#openSink();
      if (generation !== this.#generation) return;
      if (this.#offer.size === 0) {
        this.#work = this.#work.then(() => this.#verify(generation));
        return;
      }
      // Anything past the confirmed offset (a block whose write was cut short) goes.
      await sink.truncate(this.#confirmed);
      if (generation !== this.#generation) return;
      this.#expected = this.#confirmed;
      this.#progress.restart(this.#confirmed);
      this.#stream = stream;
      if (this.#confirmed > 0) this.#setState({ state: 'receiving' });
      else if (this.#state.state !== 'waiting') this.#setState({ state: 'waiting' });
      this.#send({ type: PeerMessageType.FileGet, file: this.offerId, stream, from: this.#confirmed });
    } catch (error) {
      if (generation === this.#generation) this.#storageFailure(error);
    }
  }

  async #openSink(): Promise<FileSink> {
    if (this.#sink) return this.#sink;
    const { name, mime, size } = this.#offer;
    const sink = await this.#createSink({ key: this.offerId, name, mime, size });
    if (this.isOver) {
      // Cancelled while the sink was being made.
      await sink.discard();
      throw new Error('the transfer ended');
    }
    this.#sink = sink;
    return sink;
  }

  /** Hashes, writes and confirms one whole block. */
  async #commit(offset: number, block: Uint8Array<ArrayBuffer>, stream: number): Promise<void> {
    const sink = this.#sink;
    if (this.isOver || !sink) return;
    // Read now: the sink may take the block's buffer (a worker's), leaving it empty here.
    const end = offset + block.byteLength;
    try {
      await this.#hasher.update(block);
      if (this.isOver) return;
      await sink.write(offset, block);
    } catch (error) {
      if (!this.isOver) this.#storageFailure(error);
      return;
    }
    if (this.isOver) return;
    this.#confirmed = end;
    // The last block is confirmed only once the digest checks out (#verify): the author then
    // reports the transfer complete only when it truly is.
    if (this.#confirmed === this.#offer.size) return this.#verify(this.#generation);
    // A block of an earlier stream (its link closed) is kept, but confirmed on no stream: the
    // author hears of it from the next `file-get`'s offset.
    if (stream === this.#stream) this.#send({ type: PeerMessageType.FileAck, stream, offset: this.#confirmed });
    this.#progressEvent();
  }

  async #verify(generation: number): Promise<void> {
    if (this.isOver || generation !== this.#generation) return;
    const stream = this.#stream;
    this.#stream = undefined;
    this.#setState({ state: 'verifying' });
    let file: File | undefined;
    try {
      const digest = await this.#hasher.finish();
      if (this.isOver) return;
      if (digest !== this.#offer.digest) {
        if (stream !== undefined) this.#send({ type: PeerMessageType.FileCancel, file: this.offerId, stream, reason: FileStopReason.Corrupt });
        this.#end({ state: 'failed', reason: 'corrupt', detail: 'the file does not match the digest in its offer' });
        return;
      }
      file = await this.#sink!.finish();
    } catch (error) {
      if (!this.isOver) this.#storageFailure(error, stream);
      return;
    }
    if (this.isOver) return;
    if (stream !== undefined) this.#send({ type: PeerMessageType.FileAck, stream, offset: this.#offer.size });
    // Completed while the author's link was down: it hears so on the next link (#tellAuthorComplete).
    else this.#completionUntold = true;
    this.#progress.update(this.#offer.size);
    this.#setState({ state: 'complete', file });
  }

  /**
   * Tells the author, on a new stream, that the whole file is here: a `file-get` from its end, which
   * the author counts as complete (a final ack needs a stream, and the old one went with its link).
   */
  #tellAuthorComplete(stream: number): void {
    this.#completionUntold = false;
    this.#send({ type: PeerMessageType.FileGet, file: this.offerId, stream, from: this.#offer.size });
  }

  #violation(detail: string): false {
    this.#send({ type: PeerMessageType.FileCancel, file: this.offerId, stream: this.#stream, reason: FileStopReason.Corrupt });
    this.#end({ state: 'failed', reason: 'protocol', detail });
    return false;
  }

  #storageFailure(error: unknown, stream = this.#stream): void {
    if (stream !== undefined) this.#send({ type: PeerMessageType.FileCancel, file: this.offerId, stream, reason: FileStopReason.Cancelled });
    const name = error instanceof Error ? error.name : '';
    const message = error instanceof Error ? error.message : String(error);
    // The person cancelled the download in the browser: as good as Cancel in the chat.
    if (name === 'AbortError') return this.#end({ state: 'cancelled', by: 'receiver' });
    if (name === 'NetworkError') return this.#end({ state: 'failed', reason: 'download-stopped', detail: message });
    const detail = name === 'QuotaExceededError' ? 'not enough storage space for this file' : `the file could not be stored: ${message}`;
    this.#end({ state: 'failed', reason: 'storage', detail });
  }

  /** Ends the transfer in `state`; the stored bytes go unless it is complete. */
  #end(state: IncomingState): void {
    this.#restart();
    this.#setState(state);
    if (state.state === 'complete') return;
    const sink = this.#sink;
    this.#sink = undefined;
    // A write waiting on the browser gives up now; the others see the transfer is over and stop.
    sink?.stop?.();
    // Discarded after those writes. A discard that fails leaves an entry the next page's sweep
    // removes: nothing more to do here.
    if (sink) void this.#work.then(() => sink.discard()).catch(() => undefined);
  }

  #setState(state: IncomingState): void {
    this.#state = state;
    this.#emitStatus();
  }

  /** Progress alone is told at most every PROGRESS_EVENT_INTERVAL_MS (each one redraws the chat). */
  #progressEvent(): void {
    if (this.#clock.now() - this.#lastProgressEventAt >= PROGRESS_EVENT_INTERVAL_MS) this.#emitStatus();
  }

  #emitStatus(): void {
    this.#lastProgressEventAt = this.#clock.now();
    this.emit('status', this.status);
  }
}
