/**
 * Every file transfer of one room, both ways: the files this page shares (a FileSender each) and
 * the offers it accepted (a FileReceiver each). The room owns one and routes to it the file frames
 * and binary chunks of proven links, and the links' comings and goings; it sends through the ports.
 *
 * It knows nothing of signatures: the room accepts only offers whose signature checked out, and
 * says who their author is. What it does check is who may say what: chunks and `file-cancel`s
 * about an incoming file count only from that file's author, on the stream this page numbered;
 * acks and cancels of an outgoing stream only from the peer that asked for it. Anything else is
 * dropped and counted (`refused`), never thrown.
 */
import { Emitter } from '../shared/emitter.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { decodeFileChunk, encodePeerMessage, FileStopReason, PeerMessageType, type FileOffer } from '../../protocol/peer.js';
import { authorOf } from '../../protocol/ids.js';
import { FileSender, type ChunkPort, type FileFrame, type OutgoingStatus, type SendRefusal } from './file-sender.js';
import { FileReceiver, type IncomingStatus } from './file-receiver.js';
import type { FileSinkFactory } from './file-sinks.js';

export type { FileFrame } from './file-sender.js';

/** What the transfers need of the room's links (the peer mesh, through the room). */
export interface FileTransferPorts {
  /** A text frame (an encoded file-get / file-ack / file-cancel) to a proven peer; false if its link is down. */
  sendFrame(peerId: string, text: string): boolean;
  /** A binary chunk frame; false if the peer's link is down. */
  /** Sends or copies the bytes before it returns (the sender reuses the buffer). */
  sendChunk(peerId: string, bytes: Uint8Array): boolean;
  /** Bytes waiting to go out to the peer (its channel and the writer's queue); undefined without a link. */
  bufferedAmount(peerId: string): number | undefined;
  /** Resolves once at most `below` bytes wait to go out to the peer (at once if it has no link). */
  drained(peerId: string, below: number): Promise<void>;
}

export type TransferRefusal =
  | SendRefusal
  /** `file-get` for a file this page does not share (answered: unavailable, or cancelled). */
  | 'unknown-file'
  /** A binary frame that is not a well-formed chunk. */
  | 'malformed-chunk'
  /** A chunk this page did not ask that peer for: another author's stream, a stream long over. */
  | 'unexpected-chunk'
  /** A chunk on the right stream at the wrong place (the transfer ends as a protocol violation). */
  | 'protocol-violation'
  /** A `file-cancel` without a stream from someone other than the file's author. */
  | 'not-author';

export const TRANSFER_REFUSALS: readonly TransferRefusal[] = [
  'offset-beyond-size',
  'stream-in-use',
  'too-many-requests',
  'unknown-stream',
  'bad-ack',
  'unknown-file',
  'malformed-chunk',
  'unexpected-chunk',
  'protocol-violation',
  'not-author',
];

export interface FileTransfersEvents {
  /** An accepted offer changed: state, or progress. */
  incoming: IncomingStatus;
  /** One receiver's stream of a file this page shares changed: state, or progress. */
  outgoing: OutgoingStatus;
  /** Something a peer sent was refused. */
  refused: { from: string; reason: TransferRefusal };
}

export interface FileTransfersOptions {
  ports: FileTransferPorts;
  /** Where incoming files are stored while they arrive (pickSink() in the browser). */
  createSink: FileSinkFactory;
  clock?: Pick<Clock, 'now'>;
}

/** Stream numbers are 32-bit and never 0 (protocol/peer.ts). */
const MAX_STREAM_NUMBER = 0xffff_ffff;

export class FileTransfers extends Emitter<FileTransfersEvents> {
  readonly #ports: FileTransferPorts;
  readonly #chunkPort: ChunkPort;
  readonly #createSink: FileSinkFactory;
  readonly #clock: Pick<Clock, 'now'>;
  /** Files this page shares, by offer id. */
  readonly #shared = new Map<string, FileSender>();
  /** Offers whose author stopped sharing them here: a late `file-get` hears "cancelled". */
  readonly #stoppedSharing = new Set<string>();
  /** Accepted offers, by offer id. */
  readonly #incoming = new Map<string, FileReceiver>();
  /** Peers whose link is up and proven. */
  readonly #linked = new Set<string>();
  readonly #refusals = new Map<TransferRefusal, number>(TRANSFER_REFUSALS.map((reason) => [reason, 0]));
  /** This page numbers its streams once for all links: a number is never reused on any of them. */
  #lastStream = 0;

  constructor({ ports, createSink, clock = systemClock }: FileTransfersOptions) {
    super();
    this.#ports = ports;
    this.#createSink = createSink;
    this.#clock = clock;
    this.#chunkPort = {
      sendFrame: (peerId, frame) => ports.sendFrame(peerId, encodePeerMessage(frame)),
      sendChunk: (peerId, bytes) => ports.sendChunk(peerId, bytes),
      bufferedAmount: (peerId) => ports.bufferedAmount(peerId),
      drained: (peerId, below) => ports.drained(peerId, below),
    };
  }

  /** How many of each kind of refusal so far. */
  get refusals(): ReadonlyMap<TransferRefusal, number> {
    return this.#refusals;
  }

  // ---- sharing ---------------------------------------------------------------------------------

  /** Serves `file` to whoever asks for offer `offerId` (this page's own offer) from now on. */
  share(offerId: string, file: Blob): void {
    if (this.#shared.has(offerId)) return;
    this.#stoppedSharing.delete(offerId);
    const sender = new FileSender({ offerId, file, port: this.#chunkPort, clock: this.#clock });
    sender.on('status', (status) => this.emit('outgoing', status));
    this.#shared.set(offerId, sender);
  }

  /** The author cancels: every receiver now being sent the file hears so; later requests too. */
  stopSharing(offerId: string): void {
    const sender = this.#shared.get(offerId);
    if (!sender) return;
    this.#shared.delete(offerId);
    this.#stoppedSharing.add(offerId);
    sender.stop();
    sender.destroy();
  }

  isSharing(offerId: string): boolean {
    return this.#shared.has(offerId);
  }

  /** The streams now sending offer `offerId`, one per receiver. */
  outgoing(offerId: string): OutgoingStatus[] {
    return this.#shared.get(offerId)?.streams() ?? [];
  }

  // ---- receiving -------------------------------------------------------------------------------

  /**
   * Starts receiving offer `offerId` from `authorId` (the room checked its signature). It asks at
   * once if the author's link is up, else when it comes up. Accepting an offer already on its way
   * or complete changes nothing; one that was cancelled or failed starts again from nothing.
   */
  accept(offerId: string, offer: FileOffer, authorId: string): IncomingStatus {
    if (authorOf(offerId) !== authorId) throw new RangeError(`offer ${offerId} is not by ${authorId}`);
    const existing = this.#incoming.get(offerId);
    if (existing && (!existing.isOver || existing.status.state.state === 'complete')) return existing.status;
    if (existing) void existing.discard();
    const receiver = new FileReceiver({
      offerId,
      offer,
      authorId,
      send: (frame) => this.#ports.sendFrame(authorId, encodePeerMessage(frame)),
      createSink: this.#createSink,
      clock: this.#clock,
    });
    receiver.on('status', (status) => this.emit('incoming', status));
    this.#incoming.set(offerId, receiver);
    this.emit('incoming', receiver.status);
    if (this.#linked.has(authorId)) receiver.connect(this.#nextStream());
    return receiver.status;
  }

  /** The user stops receiving `offerId`: the author is told, the partial file deleted. */
  cancel(offerId: string): void {
    this.#incoming.get(offerId)?.cancel();
  }

  incoming(offerId: string): IncomingStatus | undefined {
    return this.#incoming.get(offerId)?.status;
  }

  /** Drops an incoming transfer and what it stored (a received file the user is done with too). */
  async forget(offerId: string): Promise<void> {
    const receiver = this.#incoming.get(offerId);
    if (!receiver) return;
    this.#incoming.delete(offerId);
    receiver.cancel();
    await receiver.discard();
  }

  // ---- from the links --------------------------------------------------------------------------

  /** A file frame from the proven peer `from`. */
  handleFrame(from: string, frame: FileFrame): void {
    switch (frame.type) {
      case PeerMessageType.FileGet:
        return this.#handleGet(from, frame);
      case PeerMessageType.FileAck: {
        const sender = this.#senderOfStream(from, frame.stream);
        const refusal = sender ? sender.handleAck(from, frame.stream, frame.offset) : 'unknown-stream';
        if (refusal) this.#refuse(from, refusal);
        return;
      }
      case PeerMessageType.FileCancel:
        return this.#handleCancel(from, frame);
      default: {
        const unhandled: never = frame;
        return unhandled;
      }
    }
  }

  /** A binary frame from the proven peer `from`: a chunk of a file this page asked it for, or refused. */
  handleChunk(from: string, data: ArrayBuffer | Uint8Array): void {
    const chunk = decodeFileChunk(data);
    if (!chunk) return this.#refuse(from, 'malformed-chunk');
    // Only a receiver whose offer `from` wrote, on the stream it numbered: no peer can feed bytes
    // into another author's file.
    let receiver: FileReceiver | undefined;
    for (const candidate of this.#incoming.values()) {
      if (candidate.authorId === from && candidate.stream === chunk.stream) receiver = candidate;
    }
    if (!receiver) return this.#refuse(from, 'unexpected-chunk');
    if (!receiver.handleChunk(chunk)) this.#refuse(from, 'protocol-violation');
  }

  /** The link to `peerId` is up and proven: transfers from it start or resume. */
  linkProven(peerId: string): void {
    this.#linked.add(peerId);
    for (const receiver of this.#incoming.values()) {
      if (receiver.authorId === peerId && receiver.needsLink) receiver.connect(this.#nextStream());
    }
  }

  /** The link to `peerId` closed: its transfers pause, both ways, until it is back. */
  linkClosed(peerId: string): void {
    this.#linked.delete(peerId);
    for (const sender of this.#shared.values()) sender.linkClosed(peerId);
    for (const receiver of this.#incoming.values()) if (receiver.authorId === peerId) receiver.pause();
  }

  /** Stops everything without a word to the peers (the room is closing); partial files are deleted. */
  destroy(): void {
    for (const sender of this.#shared.values()) sender.destroy();
    this.#shared.clear();
    for (const receiver of this.#incoming.values()) if (!receiver.isOver) void receiver.discard();
    this.#incoming.clear();
    this.removeAllListeners();
  }

  #handleGet(from: string, frame: Extract<FileFrame, { type: 'file-get' }>): void {
    const sender = this.#shared.get(frame.file);
    if (!sender) {
      // A page reloaded since it offered the file no longer has it: the asker is told so.
      const reason = this.#stoppedSharing.has(frame.file) ? FileStopReason.Cancelled : FileStopReason.Unavailable;
      this.#ports.sendFrame(from, encodePeerMessage({ type: PeerMessageType.FileCancel, file: frame.file, stream: frame.stream, reason }));
      return this.#refuse(from, 'unknown-file');
    }
    // Stream numbers are unique per link, across files.
    const inUse = this.#senderOfStream(from, frame.stream);
    const refusal = inUse && inUse !== sender ? 'stream-in-use' : sender.serve(from, frame.stream, frame.from);
    if (refusal) this.#refuse(from, refusal);
  }

  #handleCancel(from: string, frame: Extract<FileFrame, { type: 'file-cancel' }>): void {
    const receiver = this.#incoming.get(frame.file);
    if (receiver?.authorId === from) {
      // The author stops sending us this file (or refuses the stream we asked on).
      if (!receiver.handleCancel(frame.stream, frame.reason)) this.#refuse(from, 'unknown-stream');
      return;
    }
    if (frame.stream === undefined) return this.#refuse(from, 'not-author');
    // A receiver stops its stream of a file we share.
    if (!this.#shared.get(frame.file)?.handleCancel(from, frame.stream, frame.reason)) this.#refuse(from, 'unknown-stream');
  }

  #senderOfStream(peerId: string, stream: number): FileSender | undefined {
    for (const sender of this.#shared.values()) if (sender.hasStream(peerId, stream)) return sender;
    return undefined;
  }

  #nextStream(): number {
    this.#lastStream = this.#lastStream >= MAX_STREAM_NUMBER ? 1 : this.#lastStream + 1;
    return this.#lastStream;
  }

  #refuse(from: string, reason: TransferRefusal): void {
    this.#refusals.set(reason, (this.#refusals.get(reason) ?? 0) + 1);
    this.emit('refused', { from, reason });
  }
}
