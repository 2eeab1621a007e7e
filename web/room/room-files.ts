/**
 * The room's files: a file offered as a signed message (name, size, type, digest, and a preview
 * for an image), offers accepted by hand or, for small images, by themselves, and what the
 * transfers need from the room's links. Bytes go only between an offer's author and the page that
 * asked, over their own proven connection (web/files/file-transfers.ts checks who may say what).
 *
 * The transfer code loads on first use; until then a peer asking for a file hears it is
 * unavailable (this page shares nothing it has not loaded the code for).
 */
import type { ChatMessage, Conversation } from './conversation.js';
import type { PeerMesh } from '../transport/peer-mesh.js';
import type { FileTransfers } from '../files/file-transfers.js';
import type { IncomingStatus } from '../files/file-receiver.js';
import type { OutgoingStatus } from '../files/file-sender.js';
import { encodePeerMessage, FileStopReason, MAX_FILE_NAME_LENGTH, MAX_FILE_SIZE, PeerMessageType, type PeerMessage } from '../../protocol/peer.js';
import { ChatSendError } from './conversation.js';
import { STREAMED_DOWNLOAD_FROM_BYTES } from '../files/download-stream-protocol.js';

export type { IncomingStatus } from '../files/file-receiver.js';
export type { OutgoingStatus } from '../files/file-sender.js';

type FileFrame = Extract<PeerMessage, { type: 'file-get' | 'file-ack' | 'file-cancel' }>;

/** Where a file message's bytes stand on this page. */
export interface FileTransferState {
  messageId: string;
  /** This page's download of someone else's file, once accepted. */
  incoming?: IncomingStatus;
  /** This page's own file, to each peer that asked for it. */
  outgoing: readonly OutgoingStatus[];
}

/** Images that show in the chat once received (never SVG: it is a document, not a picture). */
const SHOWN_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);

export function isShownImage(mime: string): boolean {
  return SHOWN_IMAGE_TYPES.has(mime.split(';', 1)[0]!.trim().toLowerCase());
}

export interface RoomFilesOptions {
  mesh: PeerMesh;
  isProven(peerId: string): boolean;
  conversation: Conversation;
  /** Everyone in the room now (an offer goes to them all). */
  recipients(): string[];
  /** This participant's name now (signed into the offer). */
  name(): string;
  onChange(state: FileTransferState): void;
}

/** A file name as offered: at most MAX_FILE_NAME_LENGTH characters, its extension kept. */
function offeredName(name: string): string {
  const trimmed = name.trim() || 'file';
  if (trimmed.length <= MAX_FILE_NAME_LENGTH) return trimmed;
  const dot = trimmed.lastIndexOf('.');
  const extension = dot > 0 && trimmed.length - dot <= 16 ? trimmed.slice(dot) : '';
  return trimmed.slice(0, MAX_FILE_NAME_LENGTH - extension.length - 1) + '…' + extension;
}

export class RoomFiles {
  readonly #options: RoomFilesOptions;
  #transfers: FileTransfers | undefined;
  #loading: Promise<typeof import('../files/engine.js')> | undefined;
  /** The latest status of each peer's stream of each of this page's files. */
  readonly #outgoing = new Map<string, Map<string, OutgoingStatus>>();
  /** This page's own files, by offer id (to show, and to serve). */
  readonly #ownFiles = new Map<string, File>();
  #disposed = false;
  /**
   * Someone else's image offers up to this many bytes are accepted without asking (0: never); never
   * one of STREAMED_DOWNLOAD_FROM_BYTES or more, which could start a download nobody clicked.
   */
  autoAcceptImagesUpTo = 0;

  constructor(options: RoomFilesOptions) {
    this.#options = options;
  }

  private engine(): Promise<typeof import('../files/engine.js')> {
    this.#loading ??= import('../files/engine.js').then((engine) => {
      if (!this.#transfers && !this.#disposed) {
        const { mesh, isProven } = this.#options;
        const transfers = new engine.FileTransfers({
          ports: {
            sendFrame: (peerId, text) => isProven(peerId) && mesh.send(peerId, text),
            sendChunk: (peerId, bytes) => isProven(peerId) && mesh.sendBinary(peerId, bytes),
            bufferedAmount: (peerId) => mesh.bufferedAmount(peerId),
            drained: (peerId, below) => mesh.drained(peerId, below),
          },
          createSink: engine.pickSink(),
        });
        transfers.on('incoming', (status) => this.changed(status.offerId));
        transfers.on('outgoing', (status) => {
          // Kept after the stream ends, so the author still sees who got the file.
          const streams = this.#outgoing.get(status.offerId) ?? new Map<string, OutgoingStatus>();
          streams.set(status.peerId, status);
          this.#outgoing.set(status.offerId, streams);
          this.changed(status.offerId);
        });
        for (const peerId of this.#options.recipients()) if (isProven(peerId)) transfers.linkProven(peerId);
        this.#transfers = transfers;
        // Partial downloads a closed page left behind are of no use to anyone.
        void engine.sweepLeftoverTransfers().catch(() => undefined);
      }
      return engine;
    });
    return this.#loading;
  }

  /**
   * Offers a file to everyone in the room: hashes it (a large file takes a moment), makes a preview
   * of an image, and logs the signed offer. The bytes go to each peer that accepts, from this page,
   * for as long as it stays open.
   */
  async share(file: File): Promise<ChatMessage> {
    if (file.size > MAX_FILE_SIZE) throw new ChatSendError('too-long', `Files are limited to ${MAX_FILE_SIZE / 1024 ** 3} GiB.`);
    const engine = await this.engine();
    const [digest, thumb] = await Promise.all([engine.digestOfBlob(file), engine.makeThumbnail(file).catch(() => undefined)]);
    const { conversation, name, recipients } = this.#options;
    const message = conversation.shareFile(
      { name: offeredName(file.name), size: file.size, mime: file.type.slice(0, 127), digest, ...(thumb ? { thumb } : {}) },
      name(),
      recipients(),
    );
    this.#ownFiles.set(message.id, file);
    this.#transfers?.share(message.id, file);
    return message;
  }

  /** Starts (or, after a failure, restarts) downloading someone's file. */
  async accept(messageId: string): Promise<void> {
    const message = this.#options.conversation.messageById(messageId);
    if (!message?.file || message.deleted || message.own) throw new ChatSendError('unknown-message', 'That file is not offered in this chat (any more).');
    await this.engine();
    const state = this.#transfers?.incoming(messageId)?.state.state;
    if (state === 'failed' || state === 'cancelled') await this.#transfers?.forget(messageId);
    else if (state !== undefined) return;
    this.#transfers?.accept(messageId, message.file, message.authorId);
  }

  /** Stops a download of someone's file, or (for one's own) stops offering it. */
  cancel(messageId: string): void {
    const message = this.#options.conversation.messageById(messageId);
    if (!message?.file) return;
    if (message.own) {
      this.#ownFiles.delete(messageId);
      this.#transfers?.stopSharing(messageId);
      this.#options.onChange(this.state(messageId) ?? { messageId, outgoing: [] });
    } else {
      this.#transfers?.cancel(messageId);
    }
  }

  state(messageId: string): FileTransferState | undefined {
    const incoming = this.#transfers?.incoming(messageId);
    const outgoing = [...(this.#outgoing.get(messageId)?.values() ?? [])];
    if (!incoming && outgoing.length === 0) return undefined;
    return { messageId, ...(incoming ? { incoming } : {}), outgoing };
  }

  private changed(messageId: string): void {
    const state = this.state(messageId);
    if (state) this.#options.onChange(state);
  }

  /** The file itself: one's own, or someone's once received and checked against its digest. */
  file(messageId: string): File | undefined {
    const own = this.#ownFiles.get(messageId);
    if (own) return own;
    const state = this.#transfers?.incoming(messageId)?.state;
    return state?.state === 'complete' ? state.file : undefined;
  }

  /** A message entered the log: small images from others are fetched by themselves, if so set. */
  messageAdded(message: ChatMessage): void {
    const offer = message.file;
    if (!offer || message.own || offer.size > this.autoAcceptImagesUpTo || offer.size >= STREAMED_DOWNLOAD_FROM_BYTES || !isShownImage(offer.mime)) return;
    void this.accept(message.id).catch(() => undefined);
  }

  /** A file message was deleted: its author stops offering it, and nobody keeps fetching it. */
  messageDeleted(messageId: string): void {
    this.#ownFiles.delete(messageId);
    this.#outgoing.delete(messageId);
    const transfers = this.#transfers;
    if (!transfers) return;
    transfers.stopSharing(messageId);
    void transfers.forget(messageId).catch(() => undefined);
  }

  handleFrame(from: string, frame: FileFrame): void {
    if (this.#transfers) {
      this.#transfers.handleFrame(from, frame);
      return;
    }
    // Nothing shared from this page (the code is not even loaded): whatever is asked is not here.
    if (frame.type === PeerMessageType.FileGet) {
      this.#options.mesh.send(from, encodePeerMessage({ type: PeerMessageType.FileCancel, file: frame.file, stream: frame.stream, reason: FileStopReason.Unavailable }));
    }
  }

  /** A binary frame from a proven peer; false if this page expects no bytes at all. */
  handleChunk(from: string, data: ArrayBuffer): boolean {
    if (!this.#transfers) return false;
    this.#transfers.handleChunk(from, data);
    return true;
  }

  linkProven(peerId: string): void {
    this.#transfers?.linkProven(peerId);
  }

  linkClosed(peerId: string): void {
    this.#transfers?.linkClosed(peerId);
  }

  dispose(): void {
    this.#disposed = true;
    this.#transfers?.destroy();
    this.#ownFiles.clear();
  }
}
