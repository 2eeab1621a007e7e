/**
 * Writes frames to an open data channel with backpressure: text frames, and the binary chunks of
 * file transfers. Frames go straight to the channel while it holds less than SEND_BUFFER_HIGH
 * bytes; beyond that they wait here, in order, until the channel drains to SEND_BUFFER_LOW.
 *
 * File chunks are written only once drained() says the channel has room (web/files/file-sender.ts),
 * so they never pile up in the queue ahead of chat text: a message waits behind at most the
 * sender's own small margin of chunks.
 *
 * Why not simple-peer's stream write: it stops at 64 KiB buffered and refills only from the page's
 * main thread, so a fast link sits idle whenever the page is busy (a render, a layout), and every
 * frame also pays for a pass through the stream machinery.
 */

/** Above this many bytes buffered in the channel, frames wait in the writer's queue. */
export const SEND_BUFFER_HIGH = 4 * 1024 * 1024;
/** The queue resumes once the channel is down to this many bytes. */
export const SEND_BUFFER_LOW = 1024 * 1024;

/** What goes over a data channel: text (JSON frames) or bytes (file chunks). */
export type ChannelFrame = string | Uint8Array<ArrayBuffer>;

/**
 * The part of RTCDataChannel the writer uses. `Frame` is what it is sent: a plain
 * `WritableChannel` is written text only (as a test's fake is); the writer's own takes bytes too.
 */
export interface WritableChannel<Frame extends ChannelFrame = string> {
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: Frame): void;
  addEventListener(type: 'bufferedamountlow', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow', listener: () => void): void;
}

interface DrainWaiter {
  below: number;
  resolve: () => void;
}

/** A frame's size as the channel counts it (text as UTF-16 units: exact for the ASCII of JSON). */
const frameBytes = (frame: ChannelFrame): number => (typeof frame === 'string' ? frame.length : frame.byteLength);

export class ChannelWriter {
  /** Sent frames leave an empty slot (so their text can be freed); the array is reset when drained. */
  readonly #queue: (ChannelFrame | undefined)[] = [];
  /** Index of the next frame to send in #queue. */
  #head = 0;
  /** Bytes of the frames in the queue. */
  #queuedBytes = 0;
  #closed = false;
  readonly #drainWaiters = new Set<DrainWaiter>();
  readonly #onLow = (): void => {
    this.#flush();
    this.#settleDrainWaiters();
  };

  /**
   * `onError` gets the channel's error when a send fails (it was closing or gone). It is called in a
   * microtask, never from inside write(), so a caller looping over its peers is not re-entered.
   */
  constructor(
    private readonly channel: WritableChannel<ChannelFrame>,
    private readonly onError: (error: unknown) => void,
  ) {
    channel.bufferedAmountLowThreshold = SEND_BUFFER_LOW;
    channel.addEventListener('bufferedamountlow', this.#onLow);
  }

  /** Frames still waiting in the writer (not yet handed to the channel). */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Bytes waiting to go out: in the channel's buffer and in the writer's queue. */
  get bufferedAmount(): number {
    return this.channel.bufferedAmount + this.#queuedBytes;
  }

  /**
   * Frames written after close() or a failed send are dropped. Bytes are sent (the channel copies
   * them) or copied into the queue before this returns: the caller may reuse its buffer.
   */
  write(frame: ChannelFrame): void {
    if (this.#closed) return;
    if (this.queued > 0 || this.channel.bufferedAmount >= SEND_BUFFER_HIGH) {
      this.#queue.push(typeof frame === 'string' ? frame : frame.slice());
      this.#queuedBytes += frameBytes(frame);
      return;
    }
    this.#send(frame);
  }

  /**
   * Resolves once nothing waits in the writer's queue and the channel holds at most `below`
   * bytes: at once if that is so now, else when the channel says it drained (its low threshold
   * goes down to `below` while someone waits for less than SEND_BUFFER_LOW). Also resolves when
   * the writer closes, so nobody waits on a channel that is gone.
   */
  drained(below: number): Promise<void> {
    if (this.#closed || this.#isDrained(below)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drainWaiters.add({ below, resolve });
      this.#updateLowThreshold();
    });
  }

  /** Drops what is still queued and stops listening to the channel. */
  close(): void {
    this.#closed = true;
    this.channel.removeEventListener('bufferedamountlow', this.#onLow);
    this.#queue.length = 0;
    this.#head = 0;
    this.#queuedBytes = 0;
    for (const waiter of this.#drainWaiters) waiter.resolve();
    this.#drainWaiters.clear();
  }

  #isDrained(below: number): boolean {
    return this.queued === 0 && this.channel.bufferedAmount <= below;
  }

  #settleDrainWaiters(): void {
    if (this.#drainWaiters.size === 0) return;
    for (const waiter of [...this.#drainWaiters]) {
      if (!this.#isDrained(waiter.below)) continue;
      this.#drainWaiters.delete(waiter);
      waiter.resolve();
    }
    this.#updateLowThreshold();
  }

  /** The channel reports draining at SEND_BUFFER_LOW, or lower while a waiter wants less. */
  #updateLowThreshold(): void {
    let threshold = SEND_BUFFER_LOW;
    for (const waiter of this.#drainWaiters) threshold = Math.min(threshold, waiter.below);
    if (this.channel.bufferedAmountLowThreshold !== threshold) this.channel.bufferedAmountLowThreshold = threshold;
  }

  #flush(): void {
    while (this.queued > 0 && this.channel.bufferedAmount < SEND_BUFFER_HIGH) {
      const frame = this.#queue[this.#head]!;
      this.#queue[this.#head] = undefined;
      this.#head += 1;
      this.#queuedBytes -= frameBytes(frame);
      if (!this.#send(frame)) return;
    }
    if (this.queued === 0) {
      this.#queue.length = 0;
      this.#head = 0;
      this.#queuedBytes = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      // A backlog that never quite drains: drop the sent slots now and then.
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #send(frame: ChannelFrame): boolean {
    try {
      this.channel.send(frame);
      return true;
    } catch (error) {
      this.close();
      queueMicrotask(() => this.onError(error));
      return false;
    }
  }
}
