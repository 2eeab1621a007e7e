// The peer mesh over fake links (the WebRTC seam) and fake timers: the collision rule, the connect
// timeout, ICE's grace period and what it reports. Real connections: the Node room test and the
// browser tests.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONNECT_TIMEOUT_MS, ICE_DISCONNECTED_GRACE_MS, PeerMesh, STALE_OFFER_MS } from '../../../web/transport/peer-mesh.js';
import type { PeerLink, PeerLinkHandlers, PeerLinkOptions } from '../../../web/transport/peer-link.js';
import { SEND_BUFFER_LOW, type ChannelFrame, type WritableChannel } from '../../../web/transport/channel-writer.js';
import type { SignalData } from '../../../protocol/signaling.js';

const SELF = 'm'.repeat(22);
const LOWER = 'a'.repeat(22);
const HIGHER = 'z'.repeat(22);
const FINGERPRINTS = { local: 'sha-256 AA:AA', remote: 'sha-256 BB:BB' };

interface FakeLink extends PeerLink {
  options: PeerLinkOptions;
  handlers: PeerLinkHandlers;
  received: SignalData[];
  closed: boolean;
}

class FakeChannel implements WritableChannel {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readonly frames: string[] = [];
  send(data: string): void {
    this.frames.push(data);
  }
  addEventListener(): void {}
  removeEventListener(): void {}
}

let links: FakeLink[];
let mesh: PeerMesh;
let events: string[];

beforeEach(() => {
  vi.useFakeTimers();
  links = [];
  mesh = new PeerMesh({
    selfId: SELF,
    createLink: (options, handlers) => {
      const link: FakeLink = {
        options,
        handlers,
        received: [],
        closed: false,
        signal: (data) => link.received.push(data),
        close: () => (link.closed = true),
      };
      links.push(link);
      return link;
    },
  });
  events = [];
  mesh.on('state', ({ id, state }) => events.push(`state ${id[0]} ${state}`));
  mesh.on('open', ({ id, fingerprints }) => events.push(`open ${id[0]} ${fingerprints?.remote ?? 'no fingerprints'}`));
  mesh.on('closed', ({ id, error }) => events.push(`closed ${id[0]} ${error ?? ''}`.trim()));
  mesh.on('signal', ({ to, data }) => events.push(`signal ${to[0]} ${String(data.type)}`));
});

afterEach(() => {
  mesh.destroy();
  vi.useRealTimers();
});

const offer: SignalData = { type: 'offer', sdp: 'v=0' };

describe('offer collisions', () => {
  it('keeps its own offer against a peer with a larger id, and ignores theirs', () => {
    mesh.connect(HIGHER);
    mesh.handleSignal(HIGHER, offer, true);
    expect(links).toHaveLength(1);
    expect(links[0]!.options.initiator).toBe(true);
    expect(links[0]!.received).toEqual([]);
  });

  it(`answers theirs all the same once its own offer has gone unanswered for ${STALE_OFFER_MS} ms (it was lost)`, () => {
    mesh.connect(HIGHER);
    vi.advanceTimersByTime(STALE_OFFER_MS - 1);
    mesh.handleSignal(HIGHER, offer, true);
    expect(links).toHaveLength(1);
    vi.advanceTimersByTime(1);
    mesh.handleSignal(HIGHER, offer, true);
    expect(links).toHaveLength(2);
    expect(links[0]!.closed).toBe(true);
    expect(links[1]!.options.initiator).toBe(false);
    expect(links[1]!.received).toEqual([offer]);
  });

  it('yields to a peer with a smaller id: drops its offer and answers theirs', () => {
    mesh.connect(LOWER);
    mesh.handleSignal(LOWER, offer, true);
    expect(links).toHaveLength(2);
    expect(links[0]!.closed).toBe(true);
    expect(links[1]!.options.initiator).toBe(false);
    expect(links[1]!.received).toEqual([offer]);
    expect(mesh.stateOf(LOWER)).toBe('connecting');
  });

  it('answers a new offer on a working link (the other side rebuilt it), saying connecting again and open before connected', () => {
    mesh.connect(HIGHER);
    links[0]!.handlers.channelOpen(new FakeChannel(), FINGERPRINTS);
    events.length = 0;
    mesh.handleSignal(HIGHER, offer, true);
    expect(links).toHaveLength(2);
    expect(links[1]!.options.initiator).toBe(false);
    // No 'closed' for the link replaced: 'connecting' is how a listener learns a new one started
    // (the room forgets the old one's proof there).
    links[1]!.handlers.channelOpen(new FakeChannel(), FINGERPRINTS);
    expect(events).toEqual(['state z connecting', 'open z sha-256 BB:BB', 'state z connected']);
  });

  it('takes no offer from someone the server does not list, and no answer without a link', () => {
    mesh.handleSignal(LOWER, offer, false);
    mesh.handleSignal(LOWER, { type: 'answer', sdp: 'v=0' }, true);
    expect(links).toEqual([]);
  });
});

describe('a link', () => {
  it('is connected once its data channel opens, and carries frames in order', () => {
    mesh.setIceServers([{ urls: 'stun:stun.parley.test:3478' }]);
    mesh.connect(HIGHER);
    expect(links[0]!.options.iceServers).toEqual([{ urls: 'stun:stun.parley.test:3478' }]);
    expect(mesh.send(HIGHER, 'too early')).toBe(false);
    links[0]!.handlers.signal({ type: 'offer' });
    const channel = new FakeChannel();
    links[0]!.handlers.channelOpen(channel, FINGERPRINTS);
    expect(mesh.isConnected(HIGHER)).toBe(true);
    expect(mesh.send(HIGHER, 'one')).toBe(true);
    mesh.send(HIGHER, 'two');
    expect(channel.frames).toEqual(['one', 'two']);
    expect(events).toEqual(['state z connecting', 'signal z offer', 'open z sha-256 BB:BB', 'state z connected']);
  });

  it('holds frames that arrive before its channel is reported open, and hands them on after the open', () => {
    const received: string[] = [];
    mesh.on('data', ({ data }) => received.push(`${String(data)} after ${events.filter((event) => event.startsWith('open')).length} open`));
    mesh.connect(HIGHER);
    // The other side's proof can come before this side has applied the answer (and so reports open).
    links[0]!.handlers.data('early 1');
    links[0]!.handlers.data('early 2');
    expect(received).toEqual([]);
    links[0]!.handlers.channelOpen(new FakeChannel(), FINGERPRINTS);
    links[0]!.handlers.data('later');
    expect(received).toEqual(['early 1 after 1 open', 'early 2 after 1 open', 'later after 1 open']);
  });

  it(`is given up when it has not opened after ${CONNECT_TIMEOUT_MS / 1000} s`, () => {
    mesh.connect(HIGHER);
    vi.advanceTimersByTime(CONNECT_TIMEOUT_MS - 1);
    expect(events.at(-1)).toBe('state z connecting');
    vi.advanceTimersByTime(1);
    expect(events.at(-1)).toBe('closed z connect-timeout');
    expect(links[0]!.closed).toBe(true);
    expect(mesh.stateOf(HIGHER)).toBeUndefined();
  });

  it(`rides out an ICE disconnection shorter than ${ICE_DISCONNECTED_GRACE_MS / 1000} s, and gives up on a longer one`, () => {
    mesh.connect(HIGHER);
    links[0]!.handlers.channelOpen(new FakeChannel(), FINGERPRINTS);
    links[0]!.handlers.iceStateChange('disconnected');
    expect(mesh.stateOf(HIGHER)).toBe('unstable');
    vi.advanceTimersByTime(ICE_DISCONNECTED_GRACE_MS - 1);
    links[0]!.handlers.iceStateChange('connected');
    expect(mesh.stateOf(HIGHER)).toBe('connected');
    vi.advanceTimersByTime(ICE_DISCONNECTED_GRACE_MS * 2);
    expect(events).not.toContain('closed z ice-disconnected');

    links[0]!.handlers.iceStateChange('disconnected');
    vi.advanceTimersByTime(ICE_DISCONNECTED_GRACE_MS);
    expect(events.at(-1)).toBe('closed z ice-disconnected');
  });

  it('reports a link that ended by itself, but not one the caller removed', () => {
    mesh.connect(HIGHER);
    mesh.connect(LOWER);
    links[0]!.handlers.end('ERR_CONNECTION_FAILURE');
    mesh.remove(LOWER);
    expect(events.filter((event) => event.startsWith('closed'))).toEqual(['closed z ERR_CONNECTION_FAILURE']);
    expect(links[1]!.closed).toBe(true);
    // A replaced link's late reports are ignored.
    links[0]!.handlers.data('late');
    links[1]!.handlers.end();
    expect(events.filter((event) => event.startsWith('closed'))).toHaveLength(1);
  });
});

/** A channel that takes bytes too, and keeps what it was sent buffered until drain(). */
class ByteChannel implements WritableChannel<ChannelFrame> {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readonly frames: ChannelFrame[] = [];
  readonly listeners = new Set<() => void>();
  send(data: ChannelFrame): void {
    this.frames.push(data);
    this.bufferedAmount += typeof data === 'string' ? data.length : data.byteLength;
  }
  addEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.listeners.delete(listener);
  }
  drain(to: number): void {
    const wasAbove = this.bufferedAmount > this.bufferedAmountLowThreshold;
    this.bufferedAmount = to;
    if (wasAbove && to <= this.bufferedAmountLowThreshold) for (const listener of [...this.listeners]) listener();
  }
}

describe('binary frames (file chunks)', () => {
  it('carries bytes both ways once the channel is open, and none before', async () => {
    const received: number[][] = [];
    mesh.on('binary', ({ from, data }) => received.push([from === HIGHER ? 1 : 0, ...new Uint8Array(data)]));
    mesh.connect(HIGHER);
    links[0]!.handlers.binary(new Uint8Array([9]).buffer);
    expect(mesh.sendBinary(HIGHER, new Uint8Array([1]))).toBe(false);
    expect(mesh.bufferedAmount(HIGHER)).toBeUndefined();
    await expect(mesh.drained(HIGHER, 0)).resolves.toBeUndefined();

    const channel = new ByteChannel();
    links[0]!.handlers.channelOpen(channel, FINGERPRINTS);
    links[0]!.handlers.binary(new Uint8Array([2, 3]).buffer);
    expect(received).toEqual([[1, 2, 3]]);

    // A view into a larger buffer goes out as exactly its bytes.
    const larger = new Uint8Array([0, 4, 5, 6, 0]);
    mesh.send(HIGHER, 'text');
    expect(mesh.sendBinary(HIGHER, larger.subarray(1, 4))).toBe(true);
    expect(channel.frames).toEqual(['text', new Uint8Array([4, 5, 6])]);
    expect((channel.frames[1] as Uint8Array).buffer.byteLength).toBe(3);
    expect(mesh.bufferedAmount(HIGHER)).toBe(7);
  });

  it('tells a file sender when the channel has drained, and lets it go when the link ends', async () => {
    mesh.connect(HIGHER);
    const channel = new ByteChannel();
    links[0]!.handlers.channelOpen(channel, FINGERPRINTS);
    mesh.sendBinary(HIGHER, new Uint8Array(SEND_BUFFER_LOW * 2));
    let drained = false;
    void mesh.drained(HIGHER, SEND_BUFFER_LOW / 2).then(() => (drained = true));
    channel.drain(SEND_BUFFER_LOW / 4);
    await Promise.resolve();
    expect(drained).toBe(true);

    mesh.sendBinary(HIGHER, new Uint8Array(SEND_BUFFER_LOW * 2));
    const waiting = mesh.drained(HIGHER, 0);
    links[0]!.handlers.end('ERR_DATA_CHANNEL');
    await expect(waiting).resolves.toBeUndefined();
    expect(mesh.bufferedAmount(HIGHER)).toBeUndefined();
  });
});
