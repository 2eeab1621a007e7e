// File transfers between two pages over fake links (transfer-network.ts): the whole engine —
// sender, receiver, digest, sinks, the coordinator's routing — with the window, the channel's
// buffered amount, link cuts and resumes under the test's control. No WebRTC, no real sleeps.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, FILE_CHUNK_HEADER_BYTES, type FileOffer, type PeerMessage } from '../../../protocol/peer.js';
import { FILE_DIGEST_BLOCK_BYTES } from '../../../protocol/file-digest.js';
import { CHUNK_BUFFER_HIGH_BYTES, SEND_WINDOW_BYTES, type OutgoingStatus } from '../../../web/files/file-sender.js';
import type { IncomingState } from '../../../web/files/file-receiver.js';
import { referenceDigest } from '../../support/file-digest-reference.js';
import { TransferNetwork } from './transfer-network.js';

const MiB = FILE_DIGEST_BLOCK_BYTES;
const AUTHOR = 'A'.repeat(22);
const READER = 'R'.repeat(22);

interface TestFile {
  id: string;
  offer: FileOffer;
  bytes: Uint8Array<ArrayBuffer>;
  blob: Blob;
}

function testFile(size: number, sequence = 1, author = AUTHOR): TestFile {
  const bytes = new Uint8Array(randomBytes(size));
  return {
    id: `${author}:${sequence}`,
    offer: { kind: 'file', name: 'data.bin', size, mime: 'application/octet-stream', digest: referenceDigest(bytes) },
    bytes,
    blob: new Blob([bytes]),
  };
}

/** Two linked pages, the author sharing `file`. */
function twoPages(file: TestFile): { net: TransferNetwork; author: ReturnType<TransferNetwork['page']>; reader: ReturnType<TransferNetwork['page']> } {
  const net = new TransferNetwork();
  const author = net.page(AUTHOR);
  const reader = net.page(READER);
  net.link(AUTHOR, READER);
  author.share(file.id, file.blob);
  return { net, author, reader };
}

const stateOf = (net: TransferNetwork, id: string): IncomingState['state'] | undefined => net.pages.get(READER)!.incoming(id)?.state.state;

async function contentsOf(state: IncomingState | undefined): Promise<Buffer> {
  if (state?.state !== 'complete' || !state.file) throw new Error(`not complete: ${state?.state}`);
  return Buffer.from(await state.file.arrayBuffer());
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const gets = (net: TransferNetwork): Extract<PeerMessage, { type: 'file-get' }>[] =>
  net.framesDelivered.flatMap(({ message }) => (message.type === 'file-get' ? [message] : []));

describe('a file between two pages', () => {
  it('arrives intact (20 MiB): one ack a block, never more than the window out, chunks only into a drained channel', async () => {
    const file = testFile(20 * MiB);
    const { net, author, reader } = twoPages(file);
    const states: string[] = [];
    reader.on('incoming', ({ state }) => {
      if (states.at(-1) !== state.state) states.push(state.state);
    });
    const sent: OutgoingStatus['state'][] = [];
    author.on('outgoing', ({ state }) => sent.push(state));

    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => sent.at(-1)?.state === 'complete', 'the file, confirmed');

    expect(sameBytes(await contentsOf(reader.incoming(file.id)?.state), file.bytes)).toBe(true);
    expect(states).toEqual(['waiting', 'receiving', 'verifying', 'complete']);
    expect(net.acksAt(AUTHOR)).toEqual(Array.from({ length: 20 }, (_, index) => (index + 1) * MiB));
    // Windowed, not stop-and-wait: more than a block was out at some point, never more than the window.
    expect(net.maxOutstanding).toBeGreaterThan(MiB);
    expect(net.maxOutstanding).toBeLessThanOrEqual(SEND_WINDOW_BYTES);
    expect(net.maxBufferedAtChunk).toBeLessThanOrEqual(CHUNK_BUFFER_HIGH_BYTES + FILE_CHUNK_BYTES + FILE_CHUNK_HEADER_BYTES);
    expect(net.chunksSent.reduce((total, chunk) => total + chunk.length, 0)).toBe(20 * MiB);
    expect(sent.at(-1)).toEqual({ state: 'complete' });
    expect(author.outgoing(file.id)).toEqual([]);
    expect(net.sinks.get(READER)!.get(file.id)!.writes).toHaveLength(20);
  });

  it('stops at exactly the window while the receiver cannot store, and goes on once it can', async () => {
    const file = testFile(20 * MiB);
    const { net, reader } = twoPages(file);
    let release = (): void => undefined;
    net.onSink = (sink) => (sink.gate = new Promise((resolve) => (release = resolve)));
    reader.accept(file.id, file.offer, AUTHOR);
    const sentBytes = (): number => net.chunksSent.reduce((total, chunk) => total + chunk.length, 0);
    await net.runUntil(() => sentBytes() === SEND_WINDOW_BYTES, 'a full window');
    await net.settle();
    // The sink holds every write: no ack, so the sender stays at the window.
    expect(sentBytes()).toBe(SEND_WINDOW_BYTES);
    expect(net.acksAt(AUTHOR)).toEqual([]);
    release();
    await net.runUntil(() => stateOf(net, file.id) === 'complete', 'the file');
    expect(net.maxOutstanding).toBe(SEND_WINDOW_BYTES);
    expect(sameBytes(await contentsOf(reader.incoming(file.id)?.state), file.bytes)).toBe(true);
  });

  it('resumes after the link drops at about a quarter: asks again from what it confirmed, and little is sent twice', async () => {
    // Large enough that the cut always comes with bytes still to send: at 8 MiB written, at most
    // the window (16 MiB) more can have arrived.
    const size = 32 * MiB;
    const file = testFile(size);
    const { net, author, reader } = twoPages(file);
    const outgoing: string[] = [];
    author.on('outgoing', ({ state }) => outgoing.push(state.state));
    reader.accept(file.id, file.offer, AUTHOR);
    const sink = (): { length: number; truncations: number[] } => net.sinks.get(READER)!.get(file.id)!;
    await net.runUntil(() => (net.sinks.get(READER)?.get(file.id)?.length ?? 0) >= 8 * MiB, 'a quarter');

    net.cut(AUTHOR, READER);
    expect(stateOf(net, file.id)).toBe('paused');
    expect(outgoing.at(-1)).toBe('interrupted');
    expect(author.outgoing(file.id)).toEqual([]);

    net.link(AUTHOR, READER);
    await net.runUntil(() => stateOf(net, file.id) === 'complete', 'the file after the resume');

    expect(sameBytes(await contentsOf(reader.incoming(file.id)?.state), file.bytes)).toBe(true);
    const [first, second] = gets(net);
    expect(first).toMatchObject({ from: 0 });
    // From a block boundary at or past the cut, on a new stream number.
    expect(second!.from % MiB).toBe(0);
    expect(second!.from).toBeGreaterThanOrEqual(8 * MiB);
    expect(second!.stream).not.toBe(first!.stream);
    expect(sink().truncations.at(-1)).toBe(second!.from);
    const resent = net.chunksSent.reduce((total, chunk) => total + chunk.length, 0) - size;
    expect(resent).toBeLessThanOrEqual(MiB + SEND_WINDOW_BYTES);
    expect(net.chunksSent.find((chunk) => chunk.stream === second!.stream)?.offset).toBe(second!.from);
  });

  it('completes when the link drops after the last chunk came but before it was written, and the author hears so on the next link', async () => {
    // Every chunk arrives (4 MiB is within the window) while the disk holds the writes; the link
    // drops and comes back before the blocks are written, so the resume waits for them and finds
    // the file whole. Before, it then asked again from the end and stayed "receiving" for ever.
    const file = testFile(4 * MiB);
    const { net, author, reader } = twoPages(file);
    const outgoing: OutgoingStatus['state'][] = [];
    author.on('outgoing', ({ state }) => outgoing.push(state));
    let release = (): void => undefined;
    net.onSink = (sink) => (sink.gate = new Promise((resolve) => (release = resolve)));
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => reader.incoming(file.id)?.progress.bytes === file.bytes.byteLength, 'every chunk');
    net.cut(AUTHOR, READER);
    net.link(AUTHOR, READER);
    await net.settle();
    release();
    await net.runUntil(() => stateOf(net, file.id) === 'complete', 'the file');
    await net.settle();
    expect(stateOf(net, file.id)).toBe('complete');
    expect(sameBytes(await contentsOf(reader.incoming(file.id)?.state), file.bytes)).toBe(true);
    // The author: interrupted with the link, then told it is complete (a file-get from the end).
    expect(outgoing.map((state) => state.state).slice(-2)).toEqual(['interrupted', 'complete']);
    expect(gets(net).at(-1)).toMatchObject({ from: file.bytes.byteLength });
    expect(author.outgoing(file.id)).toEqual([]);

    // It was a file-get like any other: one more link changes nothing.
    net.cut(AUTHOR, READER);
    net.link(AUTHOR, READER);
    await net.settle();
    expect(gets(net).filter((get) => get.from === file.bytes.byteLength)).toHaveLength(1);
    expect(stateOf(net, file.id)).toBe('complete');
  });

  it('stops the sender when the receiver cancels, and deletes the partial file', async () => {
    // Larger than the window past what is written: the sender always has more to send, so chunks
    // are on the wire again whenever acks let it go on.
    const file = testFile(64 * MiB);
    const { net, author, reader } = twoPages(file);
    const outgoing: OutgoingStatus['state'][] = [];
    author.on('outgoing', ({ state }) => outgoing.push(state));
    reader.accept(file.id, file.offer, AUTHOR);
    // Cancelled with chunks on their way (checked before a round delivers them).
    const chunksOnTheWire = (): boolean => (net.wire(AUTHOR, READER)?.frames ?? []).some((frame) => frame.kind === 'binary');
    await net.runUntil(() => (net.sinks.get(READER)?.get(file.id)?.length ?? 0) >= 2 * MiB && chunksOnTheWire(), 'some blocks, and more coming');

    const writesAtCancel = net.sinks.get(READER)!.get(file.id)!.writes.length;
    reader.cancel(file.id);
    expect(reader.incoming(file.id)?.state).toEqual({ state: 'cancelled', by: 'receiver' });
    await net.runUntil(() => outgoing.at(-1)?.state === 'cancelled', 'the sender stopped');
    await net.settle();
    expect(outgoing.at(-1)).toEqual({ state: 'cancelled', by: 'receiver', reason: 'cancelled' });
    expect(author.outgoing(file.id)).toEqual([]);
    // Deleted once the block being hashed and written when the user cancelled is done (under load
    // that outlasts settle()'s idle rounds: the hashing runs on Node's thread pool).
    await net.waitFor(() => net.sinks.get(READER)!.get(file.id)!.discarded, 'the partial file deleted');
    const chunks = net.chunksSent.length;
    await net.settle();
    expect(net.chunksSent.length).toBe(chunks);
    // Chunks still on the way when the cancel went out are dropped and counted, never written.
    // (A write already under way when the user cancelled may finish before the file is deleted.)
    expect(net.sinks.get(READER)!.get(file.id)!.writes.length).toBeLessThanOrEqual(writesAtCancel + 1);
    expect(reader.refusals.get('unexpected-chunk')).toBeGreaterThan(0);
  });

  it('a cancel while the disk holds a write (a download the browser asks nothing more of) stops the sink at once and deletes the file', async () => {
    const file = testFile(4 * MiB);
    const { net, author, reader } = twoPages(file);
    const outgoing: OutgoingStatus['state'][] = [];
    author.on('outgoing', ({ state }) => outgoing.push(state));
    net.onSink = (sink) => (sink.gate = new Promise(() => undefined));
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => reader.incoming(file.id)?.progress.bytes === file.bytes.byteLength, 'every chunk');
    const sink = net.sinks.get(READER)!.get(file.id)!;
    expect(sink.writes).toEqual([]);
    reader.cancel(file.id);
    expect(sink.stopped).toBe(true);
    // The held write gives up, so the file is deleted (before, it waited for that write for ever).
    await net.waitFor(() => sink.discarded, 'the partial file deleted');
    await net.runUntil(() => outgoing.at(-1)?.state === 'cancelled', 'the sender stopped');
    expect(reader.incoming(file.id)?.state).toEqual({ state: 'cancelled', by: 'receiver' });
  });

  it('a download cancelled in the browser (the sink refuses a write as aborted) cancels the transfer, and the author hears so', async () => {
    const file = testFile(4 * MiB);
    const { net, author, reader } = twoPages(file);
    const outgoing: OutgoingStatus['state'][] = [];
    author.on('outgoing', ({ state }) => outgoing.push(state));
    net.onSink = (sink) => (sink.failNextWrite = new DOMException('the download was cancelled in the browser', 'AbortError'));
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => outgoing.at(-1)?.state === 'cancelled', 'the sender stopped');
    // Shown as cancelled, not as a storage failure.
    expect(reader.incoming(file.id)?.state).toEqual({ state: 'cancelled', by: 'receiver' });
    expect(outgoing.at(-1)).toEqual({ state: 'cancelled', by: 'receiver', reason: 'cancelled' });
    await net.waitFor(() => net.sinks.get(READER)!.get(file.id)!.discarded, 'the partial file deleted');
  });

  it('ends "download-stopped" when the browser stopped the download under it (its worker went away), and the author hears it stopped', async () => {
    const file = testFile(3 * MiB);
    const { net, author, reader } = twoPages(file);
    const outgoing: OutgoingStatus['state'][] = [];
    author.on('outgoing', ({ state }) => outgoing.push(state));
    net.onSink = (sink) => (sink.failNextWrite = new DOMException('the browser stopped the download (its service worker went away)', 'NetworkError'));
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => outgoing.at(-1)?.state === 'cancelled', 'the sender stopped');
    // Not "not enough storage space": the person is told what happened, and may try again.
    expect(reader.incoming(file.id)?.state).toEqual({ state: 'failed', reason: 'download-stopped', detail: 'the browser stopped the download (its service worker went away)' });
    expect(outgoing.at(-1)).toEqual({ state: 'cancelled', by: 'receiver', reason: 'cancelled' });
    await net.waitFor(() => net.sinks.get(READER)!.get(file.id)!.discarded, 'the partial file deleted');
  });

  it('tells the receivers when the author stops sharing, and answers a later request "cancelled"', async () => {
    const file = testFile(8 * MiB);
    const { net, author, reader } = twoPages(file);
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => (net.sinks.get(READER)?.get(file.id)?.length ?? 0) >= MiB, 'a block');

    author.stopSharing(file.id);
    await net.runUntil(() => stateOf(net, file.id) === 'cancelled', 'the cancel');
    expect(reader.incoming(file.id)?.state).toEqual({ state: 'cancelled', by: 'sender' });
    await net.waitFor(() => net.sinks.get(READER)!.get(file.id)!.discarded, 'the partial file deleted');

    // Accepted again: the author's page says it stopped sharing it.
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => stateOf(net, file.id) === 'cancelled', 'the answer');
    expect(reader.incoming(file.id)?.state).toEqual({ state: 'cancelled', by: 'sender' });
  });

  it('ends "corrupt" when a chunk was changed on the way (a flipped byte), and the author hears why', async () => {
    const file = testFile(3 * MiB);
    const { net, author, reader } = twoPages(file);
    const outgoing: OutgoingStatus['state'][] = [];
    author.on('outgoing', ({ state }) => outgoing.push(state));
    net.wire(AUTHOR, READER)!.tamper = (frame) => {
      const copy = new Uint8Array(frame);
      // The chunk at 1.5 MiB: one byte of its payload flipped.
      if (new DataView(copy.buffer).getFloat64(5) === 1.5 * MiB) copy[FILE_CHUNK_HEADER_BYTES + 100]! ^= 0xff;
      return copy;
    };
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => stateOf(net, file.id) === 'failed', 'the check');
    expect(reader.incoming(file.id)?.state).toMatchObject({ state: 'failed', reason: 'corrupt' });
    await net.waitFor(() => net.sinks.get(READER)!.get(file.id)!.discarded, 'the copy deleted');
    await net.settle();
    // The last block is confirmed only after the check: the author never reported it complete.
    expect(outgoing.at(-1)).toEqual({ state: 'cancelled', by: 'receiver', reason: 'corrupt' });
    expect(outgoing.some((state) => state.state === 'complete')).toBe(false);
  });

  it('fails "unavailable" when the author no longer has the file (its page was reloaded)', async () => {
    const file = testFile(MiB);
    const net = new TransferNetwork();
    net.page(AUTHOR); // shares nothing: a fresh page
    const reader = net.page(READER);
    net.link(AUTHOR, READER);
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => stateOf(net, file.id) === 'failed', 'the answer');
    expect(reader.incoming(file.id)?.state).toMatchObject({ state: 'failed', reason: 'unavailable' });
  });

  it('waits for the author\'s link to ask, and a file of 0 bytes needs no bytes at all', async () => {
    const file = testFile(64 * 1024);
    const empty = testFile(0, 2);
    const net = new TransferNetwork();
    const author = net.page(AUTHOR);
    const reader = net.page(READER);
    author.share(file.id, file.blob);
    author.share(empty.id, empty.blob);
    reader.accept(file.id, file.offer, AUTHOR);
    reader.accept(empty.id, empty.offer, AUTHOR);
    expect(stateOf(net, file.id)).toBe('waiting');

    net.link(AUTHOR, READER);
    await net.runUntil(() => stateOf(net, file.id) === 'complete' && stateOf(net, empty.id) === 'complete', 'both files');
    expect(sameBytes(await contentsOf(reader.incoming(file.id)?.state), file.bytes)).toBe(true);
    expect((await contentsOf(reader.incoming(empty.id)?.state)).byteLength).toBe(0);
    expect(gets(net).map((get) => get.file)).toEqual([file.id]);
  });

  it('fails "storage" when the disk is full, and stops the sender', async () => {
    const file = testFile(6 * MiB);
    const { net, author, reader } = twoPages(file);
    net.onSink = (sink) => (sink.quotaBytes = 3 * MiB);
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => stateOf(net, file.id) === 'failed', 'the full disk');
    expect(reader.incoming(file.id)?.state).toEqual({ state: 'failed', reason: 'storage', detail: 'not enough storage space for this file' });
    await net.settle();
    expect(author.outgoing(file.id)).toEqual([]);
  });

  it('serves two receivers at once, each on its own stream, and keeps other files apart', async () => {
    const first = testFile(3 * MiB, 1);
    const second = testFile(2 * MiB + 5, 2);
    const net = new TransferNetwork();
    const author = net.page(AUTHOR);
    const reader = net.page(READER);
    const other = net.page('B'.repeat(22));
    net.link(AUTHOR, READER);
    net.link(AUTHOR, 'B'.repeat(22));
    author.share(first.id, first.blob);
    author.share(second.id, second.blob);
    reader.accept(first.id, first.offer, AUTHOR);
    reader.accept(second.id, second.offer, AUTHOR);
    other.accept(first.id, first.offer, AUTHOR);
    const done = (page: typeof reader, id: string): boolean => page.incoming(id)?.state.state === 'complete';
    await net.runUntil(() => done(reader, first.id) && done(reader, second.id) && done(other, first.id), 'three transfers');
    expect(sameBytes(await contentsOf(reader.incoming(first.id)?.state), first.bytes)).toBe(true);
    expect(sameBytes(await contentsOf(reader.incoming(second.id)?.state), second.bytes)).toBe(true);
    expect(sameBytes(await contentsOf(other.incoming(first.id)?.state), first.bytes)).toBe(true);
    expect([...reader.refusals.values(), ...author.refusals.values(), ...other.refusals.values()].every((count) => count === 0)).toBe(true);
  });

  it('forgets a received file: its stored copy is deleted', async () => {
    const file = testFile(MiB + 1);
    const { net, reader } = twoPages(file);
    reader.accept(file.id, file.offer, AUTHOR);
    await net.runUntil(() => stateOf(net, file.id) === 'complete', 'the file');
    // Accepting it again changes nothing.
    reader.accept(file.id, file.offer, AUTHOR);
    expect(stateOf(net, file.id)).toBe('complete');
    await reader.forget(file.id);
    expect(reader.incoming(file.id)).toBeUndefined();
    expect(net.sinks.get(READER)!.get(file.id)!.discarded).toBe(true);
  });

  it('refuses to accept an offer under someone else\'s name (a caller bug)', () => {
    const file = testFile(10);
    const net = new TransferNetwork();
    expect(() => net.page(READER).accept(file.id, file.offer, 'B'.repeat(22))).toThrow(RangeError);
  });
});
