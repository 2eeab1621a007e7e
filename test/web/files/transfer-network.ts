// Pages connected by fake links, for the file transfer tests: each page a FileTransfers, each link
// two one-way wires that hold frames until the test lets them through (a few hundred KiB a round),
// so the sender sees a channel's buffered amount rise and fall. Frames are delivered the way the
// room would: text decoded by the protocol, binary handed over as it is.
//
// It also measures what the tests assert: every chunk sent (stream, offset, length), the acks and
// requests that reached each sender, the most bytes a sender had out beyond the receiver's last
// ack, and the most bytes a wire held when a chunk was written to it.
import { decodeFileChunk, decodePeerMessage, type PeerMessage } from '../../../protocol/peer.js';
import { FileTransfers, type FileFrame } from '../../../web/files/file-transfers.js';
import { memorySinks, type MemorySink } from './memory-sink.js';

type WireFrame = { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array };

const frameBytes = (frame: WireFrame): number => (frame.kind === 'text' ? frame.text.length : frame.bytes.byteLength);

export class Wire {
  readonly frames: WireFrame[] = [];
  buffered = 0;
  /** Changes a chunk on its way (an attacker in the middle, a flipped bit). */
  tamper: ((bytes: Uint8Array) => Uint8Array) | undefined;
  readonly #waiters: { below: number; resolve: () => void }[] = [];

  push(frame: WireFrame): void {
    this.frames.push(frame);
    this.buffered += frameBytes(frame);
  }

  /** Takes frames off the front, up to about `budget` bytes. */
  take(budget: number): WireFrame[] {
    const taken: WireFrame[] = [];
    let bytes = 0;
    while (this.frames.length > 0 && bytes < budget) {
      const frame = this.frames.shift()!;
      bytes += frameBytes(frame);
      this.buffered -= frameBytes(frame);
      taken.push(frame);
    }
    this.#settle();
    return taken;
  }

  drained(below: number): Promise<void> {
    if (this.buffered <= below) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ below, resolve }));
  }

  /** The link went down: what was on the way is lost, waiters are let go (as ChannelWriter.close). */
  cut(): void {
    this.frames.length = 0;
    this.buffered = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  #settle(): void {
    for (const waiter of [...this.#waiters]) {
      if (this.buffered > waiter.below) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

export interface SentChunk {
  from: string;
  to: string;
  stream: number;
  offset: number;
  length: number;
}

export class TransferNetwork {
  readonly pages = new Map<string, FileTransfers>();
  readonly sinks = new Map<string, Map<string, MemorySink>>();
  readonly #wires = new Map<string, Wire>();
  clockNow = 0;
  readonly clock = { now: (): number => this.clockNow };
  /** Called with each sink a page makes (to slow it down, or fill it up). */
  onSink: ((sink: MemorySink) => void) | undefined;
  /** Bytes let through each wire per round. */
  bytesPerRound = 256 * 1024;

  readonly chunksSent: SentChunk[] = [];
  /** Text frames delivered, as `from>to message`. */
  readonly framesDelivered: { from: string; to: string; message: PeerMessage }[] = [];
  /** Text frames written to a wire nobody reads (an attacker's end), by recipient. */
  readonly framesTo = new Map<string, PeerMessage[]>();
  maxOutstanding = 0;
  maxBufferedAtChunk = 0;
  /** What the receiver last confirmed per stream, as seen by the sender: `sender/receiver/stream`. */
  readonly #confirmedAtSender = new Map<string, number>();

  page(id: string): FileTransfers {
    const { createSink, sinks } = memorySinks((sink) => this.onSink?.(sink));
    this.sinks.set(id, sinks);
    const transfers = new FileTransfers({
      clock: this.clock,
      createSink,
      ports: {
        sendFrame: (to, text) => {
          const wire = this.#wires.get(`${id}>${to}`);
          if (!wire) return false;
          wire.push({ kind: 'text', text });
          if (!this.pages.has(to)) {
            const list = this.framesTo.get(to) ?? [];
            list.push(decodePeerMessage(text)!);
            this.framesTo.set(to, list);
          }
          return true;
        },
        sendChunk: (to, bytes) => {
          const wire = this.#wires.get(`${id}>${to}`);
          if (!wire) return false;
          const chunk = decodeFileChunk(bytes)!;
          this.chunksSent.push({ from: id, to, stream: chunk.stream, offset: chunk.offset, length: chunk.bytes.byteLength });
          const confirmed = this.#confirmedAtSender.get(`${id}/${to}/${chunk.stream}`) ?? Number.NaN;
          this.maxOutstanding = Math.max(this.maxOutstanding, chunk.offset + chunk.bytes.byteLength - confirmed);
          wire.push({ kind: 'binary', bytes: new Uint8Array(bytes) });
          this.maxBufferedAtChunk = Math.max(this.maxBufferedAtChunk, wire.buffered);
          return true;
        },
        bufferedAmount: (to) => this.#wires.get(`${id}>${to}`)?.buffered,
        drained: (to, below) => this.#wires.get(`${id}>${to}`)?.drained(below) ?? Promise.resolve(),
      },
    });
    this.pages.set(id, transfers);
    return transfers;
  }

  wire(from: string, to: string): Wire | undefined {
    return this.#wires.get(`${from}>${to}`);
  }

  /** Opens (and proves) the link between `a` and `b`; either may be a peer with no page (an attacker). */
  link(a: string, b: string): void {
    this.#wires.set(`${a}>${b}`, new Wire());
    this.#wires.set(`${b}>${a}`, new Wire());
    this.pages.get(a)?.linkProven(b);
    this.pages.get(b)?.linkProven(a);
  }

  /** The link between `a` and `b` closes; what was on the way is lost. */
  cut(a: string, b: string): void {
    for (const key of [`${a}>${b}`, `${b}>${a}`]) {
      this.#wires.get(key)?.cut();
      this.#wires.delete(key);
    }
    this.pages.get(a)?.linkClosed(b);
    this.pages.get(b)?.linkClosed(a);
  }

  /** Lets up to `bytesPerRound` through every wire to a page; returns whether anything moved. */
  deliverRound(): boolean {
    let moved = false;
    for (const [key, wire] of [...this.#wires]) {
      const [from, to] = key.split('>') as [string, string];
      const page = this.pages.get(to);
      if (!page) continue;
      for (const frame of wire.take(this.bytesPerRound)) {
        moved = true;
        if (this.#wires.get(key) !== wire) break; // cut while delivering
        if (frame.kind === 'text') {
          const message = decodePeerMessage(frame.text)!;
          this.framesDelivered.push({ from, to, message });
          if (message.type === 'file-get') this.#confirmedAtSender.set(`${to}/${from}/${message.stream}`, message.from);
          if (message.type === 'file-ack') this.#confirmedAtSender.set(`${to}/${from}/${message.stream}`, message.offset);
          page.handleFrame(from, message as FileFrame);
        } else {
          page.handleChunk(from, wire.tamper ? wire.tamper(frame.bytes) : frame.bytes);
        }
      }
    }
    return moved;
  }

  /**
   * Delivers round after round, letting the pages' async work (reading Blobs, hashing, writing)
   * run between rounds, until `done()` holds. Not a sleep: it stops as soon as the condition is met.
   */
  async runUntil(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      this.deliverRound();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Delivers until nothing has moved for a good many rounds of the event loop: for checking that
   * nothing more happens. (What should happen is waited for with runUntil or waitFor.)
   */
  async settle(): Promise<void> {
    let idleRounds = 0;
    while (idleRounds < 50) {
      idleRounds = this.deliverRound() ? 0 : idleRounds + 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Waits, delivering nothing, until `done()` holds (the pages' async work runs meanwhile). */
  async waitFor(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The text frames waiting on the wire from `from` to `to`, decoded. */
  pendingFrames(from: string, to: string): PeerMessage[] {
    return (this.wire(from, to)?.frames ?? []).flatMap((frame) => (frame.kind === 'text' ? [decodePeerMessage(frame.text)!] : []));
  }

  /** Acks delivered to `sender`, in order (offsets). */
  acksAt(sender: string): number[] {
    return this.framesDelivered.filter(({ to, message }) => to === sender && message.type === 'file-ack').map(({ message }) => (message as { offset: number }).offset);
  }
}
