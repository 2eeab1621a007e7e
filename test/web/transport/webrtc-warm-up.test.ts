// WebRTC warm-up: one throwaway connection per page, never negotiated, shared with index.html's
// inline script, and harmless where RTCPeerConnection is missing or refused.
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { preconnectScript } from '../../../web/transport/signaling-preconnect.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
  delete (globalThis as Record<string, unknown>).parleyWebRtcWarmedUp;
});

const load = () => import('../../../web/transport/webrtc-warm-up.js');

/** Stands in for the browser's RTCPeerConnection: records each one made and what was done to it. */
function fakePeerConnections(): { made: { config: unknown; calls: string[] }[]; Fake: new (config?: unknown) => unknown } {
  const made: { config: unknown; calls: string[] }[] = [];
  class Fake {
    readonly #record: { config: unknown; calls: string[] };
    constructor(config?: unknown) {
      this.#record = { config, calls: [] };
      made.push(this.#record);
    }
    close(): void {
      this.#record.calls.push('close');
    }
  }
  return { made, Fake };
}

describe('warmUpWebRtc', () => {
  it('makes one connection, closes it at once, and never makes another on the same page', async () => {
    const { made, Fake } = fakePeerConnections();
    vi.stubGlobal('RTCPeerConnection', Fake);
    const { warmUpWebRtc } = await load();
    warmUpWebRtc();
    warmUpWebRtc();
    expect(made).toEqual([{ config: undefined, calls: ['close'] }]);
  });

  it('does nothing without RTCPeerConnection (Node), and still works once one exists', async () => {
    const { warmUpWebRtc } = await load();
    expect(() => warmUpWebRtc()).not.toThrow();
    const { made, Fake } = fakePeerConnections();
    vi.stubGlobal('RTCPeerConnection', Fake);
    warmUpWebRtc();
    expect(made).toHaveLength(1);
  });

  it('swallows a refusal (a policy or an extension) and does not try again', async () => {
    const refuse = vi.fn(function refuse() {
      throw new DOMException('blocked', 'NotAllowedError');
    });
    vi.stubGlobal('RTCPeerConnection', refuse);
    const { warmUpWebRtc } = await load();
    expect(() => warmUpWebRtc()).not.toThrow();
    warmUpWebRtc();
    expect(refuse).toHaveBeenCalledTimes(1);
  });
});

describe("index.html's inline script", () => {
  /** Runs the script as a browser would, in a fresh global with this address; then its timers. */
  function runInlineScript(href: string, RTCPeerConnection: unknown, beforeTimers = (_page: Record<string, unknown>) => {}): Record<string, unknown> {
    const sockets: string[] = [];
    const timers: (() => void)[] = [];
    const page: Record<string, unknown> = {
      location: new URL(href),
      URL,
      RTCPeerConnection,
      WebSocket: class {
        constructor(readonly url: string) {
          sockets.push(url);
        }
      },
      setTimeout: (callback: () => void) => timers.push(callback),
    };
    page.window = page;
    runInNewContext(preconnectScript('/signal'), page);
    page.socketsBeforeTimers = [...sockets];
    page.timersQueued = timers.length;
    beforeTimers(page);
    for (const timer of timers) timer();
    return { ...page, sockets };
  }

  it('on a room link, opens the signaling socket, then warms WebRTC up in a task of its own', async () => {
    const { made, Fake } = fakePeerConnections();
    const page = runInlineScript('https://chat.example/#abcdefghijklmnopqrstuv', Fake, () => expect(made).toEqual([]));
    expect(page.socketsBeforeTimers).toEqual(['wss://chat.example/signal']);
    expect(page.timersQueued).toBe(1);
    expect(made).toEqual([{ config: undefined, calls: ['close'] }]);
    expect(page.parleyWebRtcWarmedUp).toBe(true);

    // The module sees the page as warmed up and does not make a second connection.
    vi.stubGlobal('RTCPeerConnection', Fake);
    vi.stubGlobal('parleyWebRtcWarmedUp', true);
    const { warmUpWebRtc } = await load();
    warmUpWebRtc();
    expect(made).toHaveLength(1);
  });

  it('skips its warm-up when the app warmed up first', () => {
    const { made, Fake } = fakePeerConnections();
    runInlineScript('https://chat.example/#abcdefghijklmnopqrstuv', Fake, (page) => {
      page.parleyWebRtcWarmedUp = true;
    });
    expect(made).toEqual([]);
  });

  it('on the landing page, does neither', () => {
    const { made, Fake } = fakePeerConnections();
    const page = runInlineScript('https://chat.example/', Fake);
    expect(page.sockets).toEqual([]);
    expect(page.timersQueued).toBe(0);
    expect(made).toEqual([]);
  });

  it('still opens the socket where RTCPeerConnection is refused, and does not try again', () => {
    const page = runInlineScript('http://chat.example/#abcdefghijklmnopqrstuv', () => {
      throw new Error('blocked');
    });
    expect(page.sockets).toEqual(['ws://chat.example/signal']);
    expect(page.parleyWebRtcWarmedUp).toBe(true);
  });
});
