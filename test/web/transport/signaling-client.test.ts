// The browser's signaling client against a fake WebSocket (the unit's collaborator) and fake
// timers: when it reconnects, when it must not, and what it makes of frames that are not ours.
// The real socket against the real server is covered by the Node room test and the browser tests.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignalingClient, type SignalingStateChange } from '../../../web/transport/signaling-client.js';
import { CLIENT_LEFT_REASON, CloseCode } from '../../../protocol/signaling.js';

class FakeSocket {
  static readonly opened: FakeSocket[] = [];
  readyState = 0;
  readonly sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | undefined;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
    this.readyState = 3;
  }
  /** The server accepts the connection. */
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  /** The connection ends from the other side (or the network). */
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

const URL = 'ws://parley.test/signal';
let client: SignalingClient;
let states: SignalingStateChange[];

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.opened.length = 0;
  client = new SignalingClient(URL, FakeSocket as unknown as new (url: string) => WebSocket);
  states = [];
  client.on('state', (change) => states.push(change));
  client.connect();
  FakeSocket.opened[0]!.open();
});

afterEach(() => {
  client.close();
  vi.useRealTimers();
});

describe('SignalingClient', () => {
  it.each([CloseCode.UnsupportedVersion, CloseCode.RoomFull, CloseCode.Replaced])('stops for good after close code %i: trying again cannot help', (code) => {
    FakeSocket.opened[0]!.drop(code, 'refused');
    expect(states.at(-1)).toEqual({ state: 'closed', code, reason: 'refused' });
    vi.advanceTimersByTime(10 * 60_000);
    expect(FakeSocket.opened).toHaveLength(1);
  });

  it.each([CloseCode.GoingAway, CloseCode.Abnormal, CloseCode.JoinTimeout, CloseCode.RateLimited, CloseCode.Normal])(
    'reconnects by itself after close code %i, at the time it announced',
    (code) => {
      FakeSocket.opened[0]!.drop(code);
      const waiting = states.at(-1)!;
      expect(waiting).toMatchObject({ state: 'waiting', code });
      const delay = waiting.retryAt! - Date.now();
      expect(delay).toBeGreaterThan(0);
      vi.advanceTimersByTime(delay - 1);
      expect(FakeSocket.opened).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(FakeSocket.opened).toHaveLength(2);
      expect(states.at(-1)).toEqual({ state: 'connecting' });
    },
  );

  it('waits at least as long as the server asked (a join refused for now), once', () => {
    client.retryNoSoonerThan(Date.now() + 30_000);
    FakeSocket.opened[0]!.drop(CloseCode.TryLater);
    expect(states.at(-1)).toMatchObject({ state: 'waiting', code: CloseCode.TryLater });
    expect(states.at(-1)!.retryAt! - Date.now()).toBe(30_000);
    vi.advanceTimersByTime(29_999);
    expect(FakeSocket.opened).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.opened).toHaveLength(2);
    // The request was for one retry: the next drop backs off as usual.
    FakeSocket.opened[1]!.drop(CloseCode.Abnormal);
    expect(states.at(-1)!.retryAt! - Date.now()).toBeLessThanOrEqual(1500);
  });

  it('keeps retrying through an outage, and the backoff resets once connected', () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      FakeSocket.opened.at(-1)!.drop(CloseCode.Abnormal);
      vi.advanceTimersByTime(states.at(-1)!.retryAt! - Date.now());
    }
    expect(FakeSocket.opened).toHaveLength(6);
    FakeSocket.opened.at(-1)!.open();
    FakeSocket.opened.at(-1)!.drop(CloseCode.Abnormal);
    // The first retry after a good connection comes within the first backoff step again.
    expect(states.at(-1)!.retryAt! - Date.now()).toBeLessThanOrEqual(250);
  });

  it('closes with the normal code and says it left, and never reconnects after', () => {
    const socket = FakeSocket.opened[0]!;
    client.close();
    expect(socket.closedWith).toEqual([CloseCode.Normal, CLIENT_LEFT_REASON]);
    expect(states.at(-1)).toEqual({ state: 'closed', code: CloseCode.Normal, reason: CLIENT_LEFT_REASON });
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.opened).toHaveLength(1);
  });

  it('passes on protocol messages and reports anything else as invalid, without throwing', () => {
    const messages: unknown[] = [];
    const invalid: string[] = [];
    client.on('message', (message) => messages.push(message));
    client.on('invalid', (why) => invalid.push(why));
    const socket = FakeSocket.opened[0]!;
    socket.onmessage?.({ data: '{"type":"peer-left","id":"x","reason":"lost"}' });
    socket.onmessage?.({ data: 'not json' });
    socket.onmessage?.({ data: '{"type":"take-over"}' });
    socket.onmessage?.({ data: new Uint8Array(4) });
    socket.onmessage?.({ data: 'x'.repeat(2 * 1024 * 1024) });
    expect(messages).toEqual([{ type: 'peer-left', id: 'x', reason: 'lost' }]);
    expect(invalid).toEqual(['frame is not JSON', 'unknown message type', 'non-text or oversized frame', 'non-text or oversized frame']);
  });
});

describe('SignalingClient on a page whose origin the server may refuse', () => {
  // A page (location exists) whose sockets are refused before they open: the client asks the
  // server, once, whether this origin may connect at all.
  let asked: string[];
  let allowed: boolean | 'unreachable';

  beforeEach(() => {
    client.close();
    asked = [];
    allowed = false;
    vi.stubGlobal('location', { origin: 'https://partner.example' });
    vi.stubGlobal('fetch', async (url: URL) => {
      asked.push(String(url));
      if (allowed === 'unreachable') throw new TypeError('network error');
      return new Response(JSON.stringify({ allowed }), { status: 200 });
    });
    FakeSocket.opened.length = 0;
    client = new SignalingClient('wss://parley.test/signal', FakeSocket as unknown as new (url: string) => WebSocket);
    states = [];
    client.on('state', (change) => states.push(change));
    client.connect();
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('stops retrying and says why when the server does not accept this origin', async () => {
    FakeSocket.opened[0]!.drop(CloseCode.Abnormal);
    await vi.waitFor(() => expect(states.at(-1)).toMatchObject({ state: 'closed', originRefused: true }));
    expect(asked).toEqual(['https://parley.test/signal/origin']);
    vi.advanceTimersByTime(10 * 60_000);
    expect(FakeSocket.opened).toHaveLength(1);
  });

  it.each([true, 'unreachable'] as const)('keeps retrying when the answer is %s (the failure was something else, or the server is down), and asks only once', async (answer) => {
    allowed = answer;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      FakeSocket.opened.at(-1)!.drop(CloseCode.Abnormal);
      await vi.waitFor(() => expect(asked).toHaveLength(1));
      // Let the check's answer land before the retry.
      for (let tick = 0; tick < 5; tick += 1) await Promise.resolve();
      vi.advanceTimersByTime(states.at(-1)!.retryAt! - Date.now());
    }
    expect(asked).toHaveLength(1);
    expect(FakeSocket.opened).toHaveLength(3);
    expect(states.at(-1)).toEqual({ state: 'connecting' });
  });

  it('does not ask when a connection that had opened drops', async () => {
    FakeSocket.opened[0]!.open();
    FakeSocket.opened[0]!.drop(CloseCode.Abnormal);
    await Promise.resolve();
    expect(asked).toEqual([]);
  });
});
