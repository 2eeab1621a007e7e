/**
 * Serves one offered file to the peers that ask for it: one stream per `file-get`, read from the
 * Blob a little ahead and cut into chunk frames, paced twice over:
 *
 * - the window: never more than SEND_WINDOW_BYTES past what the receiver confirmed (`file-ack`), so
 *   a receiver that stores slowly holds at most that much in flight, and a resumed transfer sends
 *   again at most that much;
 * - the channel: chunks go out only while the data channel holds less than CHUNK_BUFFER_HIGH_BYTES,
 *   then wait for it to drain, so they never queue up ahead of the chat's text frames.
 *
 * A stream ends when the receiver confirms the last byte, cancels, or its link closes (it asks
 * again, from what it confirmed, on its next link: that is how a transfer resumes), or when the
 * author stops sharing. Requests that make no sense are refused and reported, never thrown.
 */
import { Emitter } from '../shared/emitter.js';
import type { Clock } from '../shared/clock.js';
import { encodeFileChunk, FILE_CHUNK_BYTES, FILE_CHUNK_HEADER_BYTES, FileStopReason, PeerMessageType, type PeerMessage } from '../../protocol/peer.js';
import { BlobReader } from './blob-reader.js';
import { PROGRESS_EVENT_INTERVAL_MS, TransferProgress, type TransferProgressSnapshot } from './transfer-progress.js';

/**
 * Most bytes sent and not yet confirmed, per stream: 16 blocks. Enough to keep a fast link busy
 * while the receiver writes and confirms each 1 MiB block (64 MiB/s at a 250 ms round trip), small
 * enough that a receiver's memory and a resume's repeated bytes stay modest. The receiver holds the
 * sender to it (file-receiver.ts).
 */
export const SEND_WINDOW_BYTES = 16 * 1024 * 1024;
/**
 * Chunks go out only while the channel holds less than this; a chat message written behind them
 * waits at most this much (about 80 ms at 100 Mbit/s).
 */
export const CHUNK_BUFFER_HIGH_BYTES = 1024 * 1024;
/** Once above the high mark, chunks wait until the channel is down to this. */
export const CHUNK_BUFFER_LOW_BYTES = 512 * 1024;
/**
 * `file-get`s one peer may send for one file on one link. An honest receiver sends one (a few if
 * its user cancels and accepts again); a flood cannot start more reads than this.
 */
export const MAX_GETS_PER_LINK = 16;

export type FileFrame = Extract<PeerMessage, { type: 'file-get' | 'file-ack' | 'file-cancel' }>;

/** What a sender needs of the peers' data channels. */
export interface ChunkPort {
  sendFrame(peerId: string, frame: FileFrame): boolean;
  /**
   * A binary chunk frame; false if the peer's channel is gone. The bytes are sent or copied before
   * it returns: the sender writes the next frame into the same buffer.
   */
  sendChunk(peerId: string, bytes: Uint8Array): boolean;
  /** Bytes waiting to go out on the peer's channel; undefined if it is not open. */
  bufferedAmount(peerId: string): number | undefined;
  /** Resolves once the peer's channel holds at most `below` bytes (or is gone). */
  drained(peerId: string, below: number): Promise<void>;
}

/** Why a request from a peer was refused. */
export type SendRefusal =
  /** `file-get` from beyond the end of the file. */
  | 'offset-beyond-size'
  /** `file-get` with a stream number this peer already uses. */
  | 'stream-in-use'
  /** More than MAX_GETS_PER_LINK `file-get`s for this file on this link. */
  | 'too-many-requests'
  /** `file-ack` or `file-cancel` for a stream this peer does not have. */
  | 'unknown-stream'
  /** `file-ack` for bytes never sent, or going back. */
  | 'bad-ack';

export type OutgoingState =
  | { state: 'sending' }
  | { state: 'complete' }
  /** The link closed: the receiver may ask again, from where it was, on its next link. */
  | { state: 'interrupted' }
  /** `reason`: the receiver's (`corrupt`: its copy did not match the digest). */
  | { state: 'cancelled'; by: 'receiver' | 'sender'; reason: FileStopReason }
  /** The file could not be read any more (moved, deleted, changed on disk). */
  | { state: 'failed'; reason: 'unavailable' };

/** One receiver's stream of this file, as the author's UI shows it. */
export interface OutgoingStatus {
  offerId: string;
  peerId: string;
  stream: number;
  state: OutgoingState;
  /** Bytes the receiver confirmed, the speed, the time left. */
  progress: TransferProgressSnapshot;
}

interface FileSenderEvents {
  status: OutgoingStatus;
}

export interface FileSenderOptions {
  /** The offer's message id: names the file in every frame. */
  offerId: string;
  file: Blob;
  port: ChunkPort;
  clock: Pick<Clock, 'now'>;
}

interface OutgoingStream {
  peerId: string;
  stream: number;
  /** The next byte to send. */
  next: number;
  /** Everything before this is confirmed by the receiver. */
  confirmed: number;
  progress: TransferProgress;
  /** The file's bytes from where this stream started, read in order (see BlobReader). */
  source?: BlobReader;
  /** Wakes the stream's loop from a wait (an ack came, or the stream ended). */
  wake?: () => void;
  /** When its progress was last told (see PROGRESS_EVENT_INTERVAL_MS). */
  lastEventAt: number;
}

const streamKey = (peerId: string, stream: number): string => `${peerId}/${stream}`;

export class FileSender extends Emitter<FileSenderEvents> {
  readonly offerId: string;
  readonly #file: Blob;
  readonly #port: ChunkPort;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #streams = new Map<string, OutgoingStream>();
  /** `file-get`s per peer on its current link. */
  readonly #gets = new Map<string, number>();
  /** Each chunk's frame is made here, sent (copied by the channel), and the buffer used again. */
  readonly #frame = new Uint8Array(FILE_CHUNK_HEADER_BYTES + FILE_CHUNK_BYTES);

  constructor({ offerId, file, port, clock }: FileSenderOptions) {
    super();
    this.offerId = offerId;
    this.#file = file;
    this.#port = port;
    this.#clock = clock;
  }

  get size(): number {
    return this.#file.size;
  }

  /** The streams now running. */
  streams(): OutgoingStatus[] {
    return [...this.#streams.values()].map((stream) => this.#status(stream, { state: 'sending' }));
  }

  hasStream(peerId: string, stream: number): boolean {
    return this.#streams.has(streamKey(peerId, stream));
  }

  /**
   * A `file-get`: starts sending from `from` on `stream`. A newer request of the same peer replaces
   * its running stream (it gave up on that one). Returns why it was refused, if it was.
   */
  serve(peerId: string, stream: number, from: number): SendRefusal | undefined {
    const gets = (this.#gets.get(peerId) ?? 0) + 1;
    this.#gets.set(peerId, gets);
    if (gets > MAX_GETS_PER_LINK) return 'too-many-requests';
    // Not answered: a frame naming this stream would stop the peer's own stream of that number.
    if (this.hasStream(peerId, stream)) return 'stream-in-use';
    if (from > this.size) {
      this.#port.sendFrame(peerId, { type: PeerMessageType.FileCancel, file: this.offerId, stream, reason: FileStopReason.Unavailable });
      return 'offset-beyond-size';
    }
    for (const running of this.#streams.values()) if (running.peerId === peerId) this.#end(running);
    const outgoing: OutgoingStream = { peerId, stream, next: from, confirmed: from, progress: new TransferProgress(this.size, this.#clock, from), lastEventAt: Number.NEGATIVE_INFINITY };
    this.#streams.set(streamKey(peerId, stream), outgoing);
    // From the end: the receiver has it all (it finished writing after its last link dropped).
    if (from === this.size) {
      this.#end(outgoing, { state: 'complete' });
      return undefined;
    }
    this.#emit(outgoing, { state: 'sending' });
    void this.#pump(outgoing);
    return undefined;
  }

  /** A `file-ack`: the receiver has everything of `stream` before `offset`. */
  handleAck(peerId: string, stream: number, offset: number): SendRefusal | undefined {
    const outgoing = this.#streams.get(streamKey(peerId, stream));
    if (!outgoing) return 'unknown-stream';
    if (offset < outgoing.confirmed || offset > outgoing.next) return 'bad-ack';
    outgoing.confirmed = offset;
    outgoing.progress.update(offset);
    if (offset === this.size) {
      this.#end(outgoing, { state: 'complete' });
    } else {
      if (this.#clock.now() - outgoing.lastEventAt >= PROGRESS_EVENT_INTERVAL_MS) this.#emit(outgoing, { state: 'sending' });
      outgoing.wake?.();
    }
    return undefined;
  }

  /** The receiver's `file-cancel` for `stream`; false if it has no such stream. */
  handleCancel(peerId: string, stream: number, reason: FileStopReason): boolean {
    const outgoing = this.#streams.get(streamKey(peerId, stream));
    if (!outgoing) return false;
    this.#end(outgoing, { state: 'cancelled', by: 'receiver', reason });
    return true;
  }

  /** The link to `peerId` closed: its streams stop (it resumes with a new `file-get`). */
  linkClosed(peerId: string): void {
    this.#gets.delete(peerId);
    for (const outgoing of [...this.#streams.values()]) if (outgoing.peerId === peerId) this.#end(outgoing, { state: 'interrupted' });
  }

  /** The author stops sharing: every receiver now sending hears so (`file-cancel` without a stream). */
  stop(): void {
    const told = new Set<string>();
    for (const outgoing of [...this.#streams.values()]) {
      if (!told.has(outgoing.peerId)) {
        told.add(outgoing.peerId);
        this.#port.sendFrame(outgoing.peerId, { type: PeerMessageType.FileCancel, file: this.offerId, reason: FileStopReason.Cancelled });
      }
      this.#end(outgoing, { state: 'cancelled', by: 'sender', reason: FileStopReason.Cancelled });
    }
  }

  /** Stops every stream without a word to anyone (the page is going away). */
  destroy(): void {
    for (const outgoing of [...this.#streams.values()]) this.#end(outgoing);
    this.removeAllListeners();
  }

  async #pump(outgoing: OutgoingStream): Promise<void> {
    const { peerId, stream } = outgoing;
    const size = this.size;
    try {
      while (this.#isRunning(outgoing) && outgoing.next < size) {
        const windowLeft = outgoing.confirmed + SEND_WINDOW_BYTES - outgoing.next;
        if (windowLeft <= 0) {
          await this.#wait(outgoing);
          continue;
        }
        const buffered = this.#port.bufferedAmount(peerId);
        if (buffered === undefined) {
          this.#end(outgoing, { state: 'interrupted' });
          return;
        }
        if (buffered >= CHUNK_BUFFER_HIGH_BYTES) {
          await this.#wait(outgoing, this.#port.drained(peerId, CHUNK_BUFFER_LOW_BYTES));
          continue;
        }
        outgoing.source ??= new BlobReader(this.#file, outgoing.next);
        const bytes = await outgoing.source.read(Math.min(FILE_CHUNK_BYTES, windowLeft, size - outgoing.next));
        if (!this.#isRunning(outgoing)) return;
        if (!this.#port.sendChunk(peerId, encodeFileChunk(stream, outgoing.next, bytes, this.#frame))) {
          this.#end(outgoing, { state: 'interrupted' });
          return;
        }
        outgoing.next += bytes.byteLength;
      }
    } catch {
      // The Blob could not be read (the file was moved, deleted or changed on disk since it was
      // picked): this receiver hears that the file is unavailable.
      if (!this.#isRunning(outgoing)) return;
      this.#port.sendFrame(peerId, { type: PeerMessageType.FileCancel, file: this.offerId, stream, reason: FileStopReason.Unavailable });
      this.#end(outgoing, { state: 'failed', reason: 'unavailable' });
    }
  }

  /** Waits for an ack, the end of the stream, or `until`, whichever comes first. */
  #wait(outgoing: OutgoingStream, until?: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      outgoing.wake = resolve;
      until?.then(resolve, resolve);
    }).finally(() => (outgoing.wake = undefined));
  }

  #isRunning(outgoing: OutgoingStream): boolean {
    return this.#streams.get(streamKey(outgoing.peerId, outgoing.stream)) === outgoing;
  }

  /** Removes a stream (its loop sees that and returns), reporting `state` if given. */
  #end(outgoing: OutgoingStream, state?: OutgoingState): void {
    if (!this.#isRunning(outgoing)) return;
    this.#streams.delete(streamKey(outgoing.peerId, outgoing.stream));
    outgoing.source?.cancel();
    outgoing.source = undefined;
    outgoing.wake?.();
    if (state) this.#emit(outgoing, state);
  }

  #emit(outgoing: OutgoingStream, state: OutgoingState): void {
    outgoing.lastEventAt = this.#clock.now();
    this.emit('status', this.#status(outgoing, state));
  }

  #status(outgoing: OutgoingStream, state: OutgoingState): OutgoingStatus {
    return { offerId: this.offerId, peerId: outgoing.peerId, stream: outgoing.stream, state, progress: outgoing.progress.snapshot() };
  }
}

