// Typing indicators on fake timers: throttled on the way out, expiring by themselves on the way in.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../web/shared/clock.js';
import { TYPING_EXPIRY_MS, TYPING_IDLE_MS, TYPING_REFRESH_MS, TypingAnnouncer, TypingPeers } from '../../../web/room/typing-indicators.js';

beforeEach(() => vi.useFakeTimers({ now: 0 }));
afterEach(() => vi.useRealTimers());

describe('telling the others we type', () => {
  it(`says so at most every ${TYPING_REFRESH_MS / 1000} s while keys are pressed, and once that we stopped`, () => {
    const said: boolean[] = [];
    const announcer = new TypingAnnouncer(systemClock, (active) => said.push(active));
    // Ten seconds of typing, a key every 200 ms.
    for (let ms = 0; ms < 10_000; ms += 200) {
      announcer.typed();
      vi.advanceTimersByTime(200);
    }
    expect(said).toEqual([true, true, true, true]);
    vi.advanceTimersByTime(TYPING_IDLE_MS);
    expect(said).toEqual([true, true, true, true, false]);
    // Nothing more while idle, and nothing when stopped twice.
    announcer.stopped();
    vi.advanceTimersByTime(60_000);
    expect(said).toHaveLength(5);
  });

  it('says nothing when the message goes: the others stop showing us on the message itself', () => {
    const said: boolean[] = [];
    const announcer = new TypingAnnouncer(systemClock, (active) => said.push(active));
    announcer.typed();
    announcer.sent();
    vi.advanceTimersByTime(60_000);
    expect(said).toEqual([true]);
    // The next keystroke is news again at once.
    announcer.typed();
    expect(said).toEqual([true, true]);
  });
});

describe('showing who types', () => {
  it(`forgets someone who said nothing more for ${TYPING_EXPIRY_MS / 1000} s (a closed tab, a lost frame)`, () => {
    const peers = new TypingPeers(systemClock);
    const changes: (readonly string[])[] = [];
    peers.on('changed', (typing) => changes.push(typing));
    peers.heard('ada', true);
    peers.heard('bob', true);
    vi.advanceTimersByTime(TYPING_EXPIRY_MS - 1000);
    peers.heard('ada', true);
    vi.advanceTimersByTime(1000);
    expect(peers.typing).toEqual(['ada']);
    vi.advanceTimersByTime(TYPING_EXPIRY_MS);
    expect(peers.typing).toEqual([]);
    expect(changes).toEqual([['ada'], ['ada', 'bob'], ['ada'], []]);
  });

  it('stops showing someone who says they stopped, or who left', () => {
    const peers = new TypingPeers(systemClock);
    peers.heard('ada', true);
    peers.heard('bob', true);
    peers.heard('ada', false);
    peers.stopped('bob');
    expect(peers.typing).toEqual([]);
  });
});
