// What a hostile peer can try against the file transfers, and what it gets: a refusal, counted,
// nothing written, nothing thrown. The attacker here is a peer whose frames the test writes by hand
// (it has no page of its own); every frame it sends passed the protocol's schema, as it would have
// to in order to get this far.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeFileChunk, FILE_CHUNK_BYTES, PeerMessageType, type FileOffer, type PeerMessage } from '../../../protocol/peer.js';
import { FILE_DIGEST_BLOCK_BYTES } from '../../../protocol/file-digest.js';
import { CHUNK_BUFFER_HIGH_BYTES, MAX_GETS_PER_LINK, SEND_WINDOW_BYTES } from '../../../web/files/file-sender.js';
import type { FileTransfers, TransferRefusal } from '../../../web/files/file-transfers.js';
import { referenceDigest } from '../../support/file-digest-reference.js';
import { TransferNetwork } from './transfer-network.js';

const MiB = FILE_DIGEST_BLOCK_BYTES;
const AUTHOR = 'A'.repeat(22);
const READER = 'R'.repeat(22);
/** A member of the room, proven like anyone, who means harm. */
const MALLORY = 'M'.repeat(22);

/** A file of random bytes and its true digest; `cheap`: zeros and a made-up digest, where neither matters. */
function testFile(size: number, sequence = 1, author = AUTHOR, cheap = false): { id: string; offer: FileOffer; bytes: Uint8Array<ArrayBuffer>; blob: Blob } {
  const bytes = cheap ? new Uint8Array(size) : new Uint8Array(randomBytes(size));
  const digest = cheap ? 'd'.repeat(43) : referenceDigest(bytes);
  return { id: `${author}:${sequence}`, offer: { kind: 'file', name: 'f.bin', size, mime: '', digest }, bytes, blob: new Blob([bytes]) };
}

const refusals = (page: FileTransfers): Partial<Record<TransferRefusal, number>> =>
  Object.fromEntries([...page.refusals].filter(([, count]) => count > 0));

/** The `file-get` a page has written to `to` and not yet delivered. */
function pendingGet(net: TransferNetwork, from: string, to: string): Extract<PeerMessage, { type: 'file-get' }> {
  const get = net.pendingFrames(from, to).find((message) => message.type === PeerMessageType.FileGet);
  if (get?.type !== PeerMessageType.FileGet) throw new Error('no file-get');
  return get;
}

describe('a hostile peer against a receiver', () => {
  it('cannot feed bytes into another author\'s stream', async () => {
    const file = testFile(2 * MiB);
    const net = new TransferNetwork();
    const author = net.page(AUTHOR);
    const reader = net.page(READER);
    author.share(file.id, file.blob);
    net.link(AUTHOR, READER);
    net.link(MALLORY, READER);
    // Mallory also offered a file of her own to the reader, so she has a stream of her own there.
    const mallorys = testFile(MiB, 1, MALLORY, true);
    reader.accept(mallorys.id, mallorys.offer, MALLORY);
    reader.accept(file.id, file.offer, AUTHOR);
    await net.waitFor(() => net.pendingFrames(READER, AUTHOR).length > 0 && (net.framesTo.get(MALLORY)?.length ?? 0) > 0, 'both requests');
    const authorStream = pendingGet(net, READER, AUTHOR).stream;

    // She tries: her own bytes, on the stream the reader numbered for the author's file, at the
    // very offset it expects next; and a chunk no one asked for at all.
    reader.handleChunk(MALLORY, encodeFileChunk(authorStream, 0, new Uint8Array(FILE_CHUNK_BYTES).fill(0x66)));
    reader.handleChunk(MALLORY, encodeFileChunk(authorStream + 1000, 0, new Uint8Array(10)));

    expect(refusals(reader)).toEqual({ 'unexpected-chunk': 2 });
    expect(reader.incoming(file.id)?.state.state).toBe('waiting');
    expect(reader.incoming(mallorys.id)?.state.state).toBe('waiting');
    // The real transfer is untouched: it completes with the author's bytes.
    await net.runUntil(() => reader.incoming(file.id)?.state.state === 'complete', 'the real file');
    const state = reader.incoming(file.id)!.state;
    if (state.state !== 'complete' || !state.file) throw new Error('not complete');
    expect(Buffer.from(await state.file.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true);
  });

  it('cannot cancel another author\'s file for the reader', async () => {
    const file = testFile(MiB);
    const net = new TransferNetwork();
    net.page(AUTHOR).share(file.id, file.blob);
    const reader = net.page(READER);
    net.link(AUTHOR, READER);
    net.link(MALLORY, READER);
    reader.accept(file.id, file.offer, AUTHOR);
    await net.waitFor(() => net.pendingFrames(READER, AUTHOR).length > 0, 'the request');
    const stream = pendingGet(net, READER, AUTHOR).stream;

    // She tries: "the sender stops sending this file", and "stop stream n", in the author's name.
    reader.handleFrame(MALLORY, { type: PeerMessageType.FileCancel, file: file.id, reason: 'unavailable' });
    reader.handleFrame(MALLORY, { type: PeerMessageType.FileCancel, file: file.id, stream, reason: 'cancelled' });

    expect(refusals(reader)).toEqual({ 'not-author': 1, 'unknown-stream': 1 });
    await net.runUntil(() => reader.incoming(file.id)?.state.state === 'complete', 'the file');
  });

  describe('as the author of an offer the reader accepted', () => {
    /** The reader has asked Mallory for her file; the test sends what she answers. */
    async function readerAskingMallory(size: number): Promise<{ net: TransferNetwork; reader: FileTransfers; id: string; stream: number }> {
      const file = testFile(size, 1, MALLORY, true);
      const net = new TransferNetwork();
      const reader = net.page(READER);
      net.link(MALLORY, READER);
      reader.accept(file.id, file.offer, MALLORY);
      await net.waitFor(() => (net.framesTo.get(MALLORY)?.length ?? 0) > 0, 'the request');
      const get = net.framesTo.get(MALLORY)![0]!;
      if (get.type !== PeerMessageType.FileGet) throw new Error('no file-get');
      return { net, reader, id: file.id, stream: get.stream };
    }

    const bytes = (length: number): Uint8Array => new Uint8Array(length).fill(0x41);

    /** The transfer ended as a protocol violation, Mallory was told, and nothing was stored. */
    async function expectViolation(net: TransferNetwork, reader: FileTransfers, id: string, stream: number): Promise<void> {
      expect(reader.incoming(id)?.state).toMatchObject({ state: 'failed', reason: 'protocol' });
      expect(net.framesTo.get(MALLORY)?.at(-1)).toEqual({ type: PeerMessageType.FileCancel, file: id, stream, reason: 'corrupt' });
      expect(refusals(reader)).toEqual({ 'protocol-violation': 1 });
      const sink = net.sinks.get(READER)!.get(id)!;
      await net.waitFor(() => sink.discarded, 'the partial file deleted');
      expect(sink.writes).toEqual([]);
    }

    it('cannot skip ahead', async () => {
      const { net, reader, id, stream } = await readerAskingMallory(2 * MiB);
      reader.handleChunk(MALLORY, encodeFileChunk(stream, 0, bytes(FILE_CHUNK_BYTES)));
      // She tries: the next chunk 64 KiB further on than where the last one ended (a hole).
      reader.handleChunk(MALLORY, encodeFileChunk(stream, 2 * FILE_CHUNK_BYTES, bytes(FILE_CHUNK_BYTES)));
      await expectViolation(net, reader, id, stream);
    });

    it('cannot go back', async () => {
      const { net, reader, id, stream } = await readerAskingMallory(2 * MiB);
      reader.handleChunk(MALLORY, encodeFileChunk(stream, 0, bytes(FILE_CHUNK_BYTES)));
      // She tries: the same offset again, to overwrite what was received.
      reader.handleChunk(MALLORY, encodeFileChunk(stream, 0, bytes(FILE_CHUNK_BYTES)));
      await expectViolation(net, reader, id, stream);
    });

    it('cannot send bytes beyond the size', async () => {
      const { net, reader, id, stream } = await readerAskingMallory(100_000);
      reader.handleChunk(MALLORY, encodeFileChunk(stream, 0, bytes(FILE_CHUNK_BYTES)));
      // She tries: a full chunk where only 34,464 bytes are left.
      reader.handleChunk(MALLORY, encodeFileChunk(stream, FILE_CHUNK_BYTES, bytes(FILE_CHUNK_BYTES)));
      await expectViolation(net, reader, id, stream);
    });

    it('cannot send bytes after the end', async () => {
      const { net, reader, id, stream } = await readerAskingMallory(FILE_CHUNK_BYTES);
      reader.handleChunk(MALLORY, encodeFileChunk(stream, 0, bytes(FILE_CHUNK_BYTES)));
      // She tries: more, right after the whole file.
      reader.handleChunk(MALLORY, encodeFileChunk(stream, FILE_CHUNK_BYTES, bytes(1)));
      await expectViolation(net, reader, id, stream);
    });

    it('cannot run past the window (and so fill the reader\'s memory while it stores)', async () => {
      const { net, reader, id, stream } = await readerAskingMallory(SEND_WINDOW_BYTES + 2 * MiB);
      let release = (): void => undefined;
      net.sinks.get(READER)!.get(id)!.gate = new Promise((resolve) => (release = resolve));
      // She tries: the whole window and one chunk more, without waiting for a single ack.
      const chunk = bytes(FILE_CHUNK_BYTES);
      for (let offset = 0; offset <= SEND_WINDOW_BYTES; offset += FILE_CHUNK_BYTES) reader.handleChunk(MALLORY, encodeFileChunk(stream, offset, chunk));
      expect(reader.incoming(id)?.state).toMatchObject({ state: 'failed', reason: 'protocol' });
      expect(refusals(reader)).toEqual({ 'protocol-violation': 1 });
      release();
    });

    it('cannot slip in malformed chunks', async () => {
      const { reader, id } = await readerAskingMallory(MiB);
      // She tries: an empty frame, a header alone, a bigger payload than a chunk may carry, stream 0.
      reader.handleChunk(MALLORY, new Uint8Array(0));
      reader.handleChunk(MALLORY, encodeFileChunk(1, 0, new Uint8Array(0)));
      reader.handleChunk(MALLORY, encodeFileChunk(1, 0, new Uint8Array(FILE_CHUNK_BYTES + 1)));
      reader.handleChunk(MALLORY, encodeFileChunk(0, 0, new Uint8Array(1)));
      expect(refusals(reader)).toEqual({ 'malformed-chunk': 4 });
      expect(reader.incoming(id)?.state.state).toBe('waiting');
    });
  });
});

describe('a hostile peer against an author', () => {
  /** The author shares `file`; Mallory is linked to it. */
  function authorWithMallory(size: number): { net: TransferNetwork; author: FileTransfers; id: string } {
    const file = testFile(size, 1, AUTHOR, true);
    const net = new TransferNetwork();
    const author = net.page(AUTHOR);
    author.share(file.id, file.blob);
    net.link(AUTHOR, MALLORY);
    return { net, author, id: file.id };
  }

  it('cannot ask for bytes from beyond the size', async () => {
    const { net, author, id } = authorWithMallory(100_000);
    // She tries: a read past the end of the file.
    author.handleFrame(MALLORY, { type: PeerMessageType.FileGet, file: id, stream: 1, from: 100_001 });
    await net.settle();
    expect(refusals(author)).toEqual({ 'offset-beyond-size': 1 });
    expect(net.framesTo.get(MALLORY)).toEqual([{ type: PeerMessageType.FileCancel, file: id, stream: 1, reason: 'unavailable' }]);
    expect(net.chunksSent).toEqual([]);
    expect(author.outgoing(id)).toEqual([]);
  });

  it('cannot flood it with requests: reused stream numbers are refused, and requests are capped per link', async () => {
    const { net, author, id } = authorWithMallory(8 * MiB);
    const other = testFile(MiB, 2, AUTHOR, true);
    author.share(other.id, other.blob);
    author.handleFrame(MALLORY, { type: PeerMessageType.FileGet, file: id, stream: 7, from: 0 });
    // She tries: the same stream number again and again, for this file and for another one, then
    // fresh numbers, each request hoping to start another read of the file.
    for (let attempt = 0; attempt < 100; attempt += 1) author.handleFrame(MALLORY, { type: PeerMessageType.FileGet, file: id, stream: 7, from: attempt });
    author.handleFrame(MALLORY, { type: PeerMessageType.FileGet, file: other.id, stream: 7, from: 0 });
    for (let stream = 8; stream < 108; stream += 1) author.handleFrame(MALLORY, { type: PeerMessageType.FileGet, file: id, stream, from: 0 });
    await net.settle();

    expect(refusals(author)).toEqual({ 'stream-in-use': MAX_GETS_PER_LINK, 'too-many-requests': 100 + 1 + 100 - MAX_GETS_PER_LINK });
    expect(author.outgoing(id)).toHaveLength(1);
    expect(author.outgoing(other.id)).toEqual([]);
    // Nobody reads Mallory's end: the author stopped at the channel's high mark.
    expect(net.wire(AUTHOR, MALLORY)!.buffered).toBeLessThanOrEqual(CHUNK_BUFFER_HIGH_BYTES + FILE_CHUNK_BYTES + 13);
    expect(new Set(net.chunksSent.map((chunk) => chunk.stream))).toEqual(new Set([7]));
  });

  it('cannot confirm bytes it was never sent, or another peer\'s stream', async () => {
    const { net, author, id } = authorWithMallory(8 * MiB);
    net.page(READER);
    net.link(AUTHOR, READER);
    const reader = net.pages.get(READER)!;
    const file = { kind: 'file', name: 'f.bin', size: 8 * MiB, mime: '', digest: 'x'.repeat(43) } as const;
    reader.accept(id, file, AUTHOR);
    await net.runUntil(() => author.outgoing(id).length === 1, 'the reader\'s stream');
    const readerStream = author.outgoing(id)[0]!.stream;
    author.handleFrame(MALLORY, { type: PeerMessageType.FileGet, file: id, stream: 3, from: 0 });
    await net.waitFor(() => net.chunksSent.some((chunk) => chunk.to === MALLORY), 'a chunk to Mallory');

    // She tries: "I have it all" (to open the window wide), and acks and a cancel for the reader's stream.
    author.handleFrame(MALLORY, { type: PeerMessageType.FileAck, stream: 3, offset: 8 * MiB });
    author.handleFrame(MALLORY, { type: PeerMessageType.FileAck, stream: readerStream, offset: MiB });
    author.handleFrame(MALLORY, { type: PeerMessageType.FileCancel, file: id, stream: readerStream, reason: 'cancelled' });
    expect(refusals(author)).toEqual({ 'bad-ack': 1, 'unknown-stream': 2 });
    expect(author.outgoing(id).map((status) => status.peerId).sort()).toEqual([MALLORY, READER].sort());
  });

  it('hears "unavailable" for a file the author does not share', async () => {
    const { net, author } = authorWithMallory(10);
    author.handleFrame(MALLORY, { type: PeerMessageType.FileGet, file: `${AUTHOR}:99`, stream: 1, from: 0 });
    await net.settle();
    expect(refusals(author)).toEqual({ 'unknown-file': 1 });
    expect(net.framesTo.get(MALLORY)).toEqual([{ type: PeerMessageType.FileCancel, file: `${AUTHOR}:99`, stream: 1, reason: 'unavailable' }]);
  });
});
