/**
 * Writes text frames to an open data channel with backpressure. Frames go straight to the channel
 * while it holds less than SEND_BUFFER_HIGH bytes; beyond that they wait here, in order, until the
 * channel drains to SEND_BUFFER_LOW.
 *
 * Why not simple-peer's stream write: it stops at 64 KiB buffered and refills only from the page's
 * main thread, so a fast link sits idle whenever the page is busy (a render, a layout), and every
 * frame also pays for a pass through the stream machinery.
 */

/** Above this many bytes buffered in the channel, frames wait in the writer's queue. */
export const SEND_BUFFER_HIGH = 4 * 1024 * 1024;
/** The queue resumes once the channel is down to this many bytes. */
export const SEND_BUFFER_LOW = 1024 * 1024;

/** The part of RTCDataChannel the writer uses. */
export interface WritableChannel {
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: string): void;
  addEventListener(type: 'bufferedamountlow', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow', listener: () => void): void;
}

export class ChannelWriter {
  /** Sent frames leave an empty slot (so their text can be freed); the array is reset when drained. */
  readonly #queue: (string | undefined)[] = [];
  /** Index of the next frame to send in #queue. */
  #head = 0;
  #closed = false;
  readonly #onLow = (): void => this.#flush();

  /**
   * `onError` gets the channel's error when a send fails (it was closing or gone). It is called in a
   * microtask, never from inside write(), so a caller looping over its peers is not re-entered.
   */
  constructor(
    private readonly channel: WritableChannel,
    private readonly onError: (error: unknown) => void,
  ) {
    channel.bufferedAmountLowThreshold = SEND_BUFFER_LOW;
    channel.addEventListener('bufferedamountlow', this.#onLow);
  }

  /** Frames still waiting in the writer (not yet handed to the channel). */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Frames written after close() or a failed send are dropped. */
  write(frame: string): void {
    if (this.#closed) return;
    if (this.queued > 0 || this.channel.bufferedAmount >= SEND_BUFFER_HIGH) {
      this.#queue.push(frame);
      return;
    }
    this.#send(frame);
  }

  /** Drops what is still queued and stops listening to the channel. */
  close(): void {
    this.#closed = true;
    this.channel.removeEventListener('bufferedamountlow', this.#onLow);
    this.#queue.length = 0;
    this.#head = 0;
  }

  #flush(): void {
    while (this.queued > 0 && this.channel.bufferedAmount < SEND_BUFFER_HIGH) {
      const frame = this.#queue[this.#head]!;
      this.#queue[this.#head] = undefined;
      this.#head += 1;
      if (!this.#send(frame)) return;
    }
    if (this.queued === 0) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      // A backlog that never quite drains: drop the sent slots now and then.
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #send(frame: string): boolean {
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
