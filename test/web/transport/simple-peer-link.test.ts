// The simple-peer adapter with real WebRTC in Node (node-datachannel under simple-peer): what a
// link does when it is closed at an awkward moment.
import { afterEach, describe, expect, it } from 'vitest';
import { createSimplePeerLink } from '../../../web/transport/simple-peer-link.js';
import type { PeerLink, PeerLinkHandlers } from '../../../web/transport/peer-link.js';
import type { ChannelFrame, WritableChannel } from '../../../web/transport/channel-writer.js';
import { sleep } from '../../support/room-waits.js';

const uncaught: unknown[] = [];
const record = (error: unknown): void => void uncaught.push(error);

afterEach(() => {
  process.off('uncaughtException', record);
  uncaught.length = 0;
});

function handlers(signals: unknown[]): PeerLinkHandlers {
  return {
    signal: (data) => signals.push(data),
    channelOpen: () => undefined,
    data: () => undefined,
    binary: () => undefined,
    iceStateChange: () => undefined,
    end: () => undefined,
  };
}

describe('createSimplePeerLink', () => {
  // simple-peer makes its first offer on a timer; a link replaced in the same tick (a reload, a
  // peer that left and came back) is closed before that timer fires. Found in Firefox, where a
  // server restart made links this way: the timer then threw on the closed connection.
  it('closed in the tick it was made, with its offer still queued: nothing throws later, and no offer goes out', async () => {
    process.on('uncaughtException', record);
    const signals: unknown[] = [];
    const link = createSimplePeerLink({ initiator: true, iceServers: [] }, handlers(signals));
    link.close();
    await sleep(300);
    expect(uncaught.map((error) => (error instanceof Error ? error.stack : String(error)))).toEqual([]);
    expect(signals).toEqual([]);
  });

  it('closed after its offer went out: nothing throws later', async () => {
    process.on('uncaughtException', record);
    const signals: unknown[] = [];
    const link = createSimplePeerLink({ initiator: true, iceServers: [] }, handlers(signals));
    for (let waited = 0; signals.length === 0 && waited < 5000; waited += 10) await sleep(10);
    expect(signals.length).toBeGreaterThan(0);
    link.close();
    await sleep(300);
    expect(uncaught.map((error) => (error instanceof Error ? error.stack : String(error)))).toEqual([]);
  });
});

describe('createSimplePeerLink frames', () => {
  /** One side of a real connection: the channel it reported open and what arrived on it. */
  interface Side {
    link?: PeerLink;
    channel?: WritableChannel<ChannelFrame>;
    text: unknown[];
    bytes: number[][];
  }

  it('hands binary frames to binary() as exactly their bytes, and text to data(), both ways', async () => {
    const offering: Side = { text: [], bytes: [] };
    const answering: Side = { text: [], bytes: [] };
    const handlersOf = (side: Side, other: Side): PeerLinkHandlers => ({
      signal: (data) => other.link?.signal(data),
      channelOpen: (channel) => (side.channel = channel),
      data: (data) => side.text.push(data),
      binary: (data) => side.bytes.push([...new Uint8Array(data)]),
      iceStateChange: () => undefined,
      end: () => undefined,
    });
    offering.link = createSimplePeerLink({ initiator: true, iceServers: [] }, handlersOf(offering, answering));
    answering.link = createSimplePeerLink({ initiator: false, iceServers: [] }, handlersOf(answering, offering));
    try {
      for (let waited = 0; !(offering.channel && answering.channel) && waited < 10_000; waited += 10) await sleep(10);
      offering.channel!.send('{"type":"ping"}');
      offering.channel!.send(new Uint8Array([1, 2, 3]));
      answering.channel!.send(new Uint8Array([4, 5]));
      answering.channel!.send('{"type":"pong"}');
      for (let waited = 0; (answering.text.length + answering.bytes.length < 2 || offering.text.length + offering.bytes.length < 2) && waited < 5000; waited += 10) await sleep(10);
      expect(answering).toMatchObject({ text: ['{"type":"ping"}'], bytes: [[1, 2, 3]] });
      expect(offering).toMatchObject({ text: ['{"type":"pong"}'], bytes: [[4, 5]] });
    } finally {
      offering.link.close();
      answering.link.close();
    }
  });
});
