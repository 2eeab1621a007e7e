// The simple-peer adapter with real WebRTC in Node (node-datachannel under simple-peer): what a
// link does when it is closed at an awkward moment.
import { afterEach, describe, expect, it } from 'vitest';
import { createSimplePeerLink } from '../../../web/transport/simple-peer-link.js';
import type { PeerLinkHandlers } from '../../../web/transport/peer-link.js';
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
