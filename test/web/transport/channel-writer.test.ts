import { describe, expect, it } from 'vitest';
import { ChannelWriter, SEND_BUFFER_HIGH, SEND_BUFFER_LOW, type ChannelFrame, type WritableChannel } from '../../../web/transport/channel-writer.js';

/** A channel that buffers what it is sent until drain() is called, as a congested link would. */
class FakeChannel implements WritableChannel<ChannelFrame> {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readonly sent: ChannelFrame[] = [];
  readonly listeners = new Set<() => void>();
  failWith: Error | undefined;

  send(data: ChannelFrame): void {
    if (this.failWith) throw this.failWith;
    this.sent.push(data);
    // The text frames here are ASCII: characters are bytes.
    this.bufferedAmount += typeof data === 'string' ? data.length : data.byteLength;
  }

  addEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.listeners.delete(listener);
  }

  /** Sends down to `to` bytes buffered; fires the event when that crosses the threshold, as browsers do. */
  drain(to: number): void {
    const wasAbove = this.bufferedAmount > this.bufferedAmountLowThreshold;
    this.bufferedAmount = Math.min(this.bufferedAmount, to);
    if (wasAbove && this.bufferedAmount <= this.bufferedAmountLowThreshold) for (const listener of [...this.listeners]) listener();
  }
}

const frame = (index: number, length: number): string => `${index}:`.padEnd(length, 'x');

describe('ChannelWriter', () => {
  it('sends straight through while the channel has room', () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    writer.write('a');
    writer.write('b');
    expect(channel.sent).toEqual(['a', 'b']);
    expect(writer.queued).toBe(0);
    expect(channel.bufferedAmountLowThreshold).toBe(SEND_BUFFER_LOW);
  });

  it('holds frames beyond the high mark and sends them, in order, as the channel drains', () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    const size = 64 * 1024;
    const count = (SEND_BUFFER_HIGH / size) * 3;
    for (let index = 0; index < count; index += 1) writer.write(frame(index, size));
    expect(channel.bufferedAmount).toBe(SEND_BUFFER_HIGH);
    expect(writer.queued).toBe(count - SEND_BUFFER_HIGH / size);

    // Drained, but not yet down to the low mark: nothing moves.
    channel.drain(SEND_BUFFER_LOW + 1);
    expect(channel.sent).toHaveLength(SEND_BUFFER_HIGH / size);

    for (let round = 0; round < 10 && writer.queued > 0; round += 1) channel.drain(0);
    expect(writer.queued).toBe(0);
    expect(channel.sent).toEqual(Array.from({ length: count }, (_, index) => frame(index, size)));

    // Once empty, frames go straight through again, after what was queued.
    channel.drain(0);
    writer.write('last');
    expect(channel.sent.at(-1)).toBe('last');
  });

  it('keeps a frame written during a backlog behind the backlog', () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    writer.write(frame(0, SEND_BUFFER_HIGH));
    writer.write('queued');
    channel.bufferedAmount = 0; // drained without the event having run yet
    writer.write('later');
    expect(channel.sent).toHaveLength(1);
    channel.bufferedAmount = SEND_BUFFER_HIGH;
    channel.drain(0);
    expect(channel.sent.slice(1)).toEqual(['queued', 'later']);
  });

  it('reports a failed send once, later, drops the rest and stops listening', async () => {
    const channel = new FakeChannel();
    const errors: unknown[] = [];
    const writer = new ChannelWriter(channel, (error) => errors.push(error));
    writer.write(frame(0, SEND_BUFFER_HIGH));
    writer.write('a');
    writer.write('b');
    channel.failWith = new Error('closing');
    channel.drain(0);
    // Not from inside the drain (or a write): the caller may be in the middle of a loop over peers.
    expect(errors).toEqual([]);
    writer.write('c');
    await Promise.resolve();
    expect(errors).toEqual([channel.failWith]);
    expect(writer.queued).toBe(0);
    expect(channel.listeners.size).toBe(0);
  });

  it('keeps a long backlog in order while it is trimmed', () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    const size = 1024;
    const perDrain = (SEND_BUFFER_HIGH - SEND_BUFFER_LOW) / size;
    let written = 0;
    writer.write(frame(-1, SEND_BUFFER_HIGH));
    for (; written < perDrain * 2; written += 1) writer.write(frame(written, size));
    // The link drains to the low mark again and again while more keeps coming: the queue only
    // empties at the end, so sent frames have to be dropped from its front on the way.
    for (let round = 0; round < 10 && writer.queued > 0; round += 1) {
      channel.drain(SEND_BUFFER_LOW);
      if (round < 3) for (const end = written + perDrain / 2; written < end; written += 1) writer.write(frame(written, size));
    }
    expect(writer.queued).toBe(0);
    expect(channel.sent.slice(1)).toEqual(Array.from({ length: written }, (_, index) => frame(index, size)));
  });

  it('stops listening when closed', () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    writer.write(frame(0, SEND_BUFFER_HIGH));
    writer.write('dropped');
    writer.close();
    channel.drain(0);
    expect(channel.sent).toHaveLength(1);
    expect(channel.listeners.size).toBe(0);
  });
});

describe('ChannelWriter with file chunks', () => {
  const chunk = (value: number, length = 64 * 1024): Uint8Array<ArrayBuffer> => new Uint8Array(length).fill(value);

  it('sends bytes in order with text, and queues them alike behind a backlog', () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    writer.write('text');
    writer.write(chunk(1));
    writer.write(frame(0, SEND_BUFFER_HIGH));
    writer.write(chunk(2, 16));
    writer.write('after');
    expect(channel.sent).toHaveLength(3);
    // What waits to go out: the channel's buffer and the writer's queue.
    expect(writer.bufferedAmount).toBe(channel.bufferedAmount + 16 + 'after'.length);
    channel.drain(0);
    expect(channel.sent.slice(3)).toEqual([chunk(2, 16), 'after']);
    expect(writer.bufferedAmount).toBe(channel.bufferedAmount);
  });

  it('copies bytes it has to queue, so a sender may reuse its buffer once write returns', () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    writer.write(frame(0, SEND_BUFFER_HIGH));
    const reused = chunk(7, 16);
    writer.write(reused);
    reused.fill(8);
    writer.write(reused);
    channel.drain(0);
    expect(channel.sent.slice(1)).toEqual([chunk(7, 16), chunk(8, 16)]);
  });

  it('says at once when the channel already holds little enough', async () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    writer.write(chunk(1));
    let drained = false;
    void writer.drained(64 * 1024).then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(true);
  });

  it('lowers the channel\'s threshold while a sender waits for less than the low mark, and restores it', async () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    for (let index = 0; index < 16; index += 1) writer.write(chunk(index));
    expect(channel.bufferedAmount).toBe(SEND_BUFFER_LOW);
    let drained = false;
    void writer.drained(256 * 1024).then(() => (drained = true));
    expect(channel.bufferedAmountLowThreshold).toBe(256 * 1024);
    channel.drain(512 * 1024);
    await Promise.resolve();
    expect(drained).toBe(false);
    channel.drain(200 * 1024);
    await Promise.resolve();
    expect(drained).toBe(true);
    expect(channel.bufferedAmountLowThreshold).toBe(SEND_BUFFER_LOW);
  });

  it('keeps a waiting sender waiting while chat text is still queued in the writer (text goes first)', async () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    writer.write(frame(0, SEND_BUFFER_HIGH));
    const backlog = (SEND_BUFFER_HIGH / (64 * 1024)) * 2;
    for (let index = 1; index <= backlog; index += 1) writer.write(frame(index, 64 * 1024));
    let drained = false;
    void writer.drained(SEND_BUFFER_LOW).then(() => (drained = true));
    // The channel drains; the queued text refills it: the sender still waits.
    channel.drain(0);
    await Promise.resolve();
    expect(writer.queued).toBeGreaterThan(0);
    expect(drained).toBe(false);
    for (let round = 0; round < 10 && !drained; round += 1) {
      channel.drain(0);
      await Promise.resolve();
    }
    expect(writer.queued).toBe(0);
    expect(drained).toBe(true);
  });

  it('lets waiting senders go when it closes', async () => {
    const channel = new FakeChannel();
    const writer = new ChannelWriter(channel, () => undefined);
    writer.write(frame(0, SEND_BUFFER_HIGH));
    const waiting = writer.drained(0);
    writer.close();
    await expect(waiting).resolves.toBeUndefined();
    await expect(writer.drained(0)).resolves.toBeUndefined();
  });
});
