// Message times: the formats are built once, when no room on the page is busy, and not again for
// each message.
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.resetModules();
});

const load = () => import('../../web/message-time.js');

describe('message times', () => {
  it('builds the formats once a room with others has stayed settled for a while, once, and reuses them', async () => {
    vi.useFakeTimers();
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { formatMessageTimes, reportRoomActivity, WARM_AFTER_SETTLED_MS } = await load();
    const chat = {};
    reportRoomActivity(chat, 'settled');
    await vi.advanceTimersByTimeAsync(WARM_AFTER_SETTLED_MS - 1);
    // A peer starts connecting just before the wait is over: the wait starts again when it is done.
    reportRoomActivity(chat, 'busy');
    await vi.advanceTimersByTimeAsync(WARM_AFTER_SETTLED_MS * 2);
    expect(built).not.toHaveBeenCalled();
    reportRoomActivity(chat, 'settled');
    reportRoomActivity(chat, 'settled'); // renders while settled do not restart the wait
    await vi.advanceTimersByTimeAsync(WARM_AFTER_SETTLED_MS - 1);
    expect(built).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(built).toHaveBeenCalledTimes(2); // the short and the full format

    const sentAt = new Date(2026, 10, 22, 9, 5, 7);
    const times = formatMessageTimes(sentAt);
    expect(times.short).toBe(new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(sentAt));
    expect(times.full).toContain(String(sentAt.getFullYear()));
    built.mockClear();
    formatMessageTimes(new Date());
    reportRoomActivity(chat, 'alone');
    await vi.runAllTimersAsync();
    expect(built).not.toHaveBeenCalled();
  });

  it('builds them without waiting when the page is alone in its room', async () => {
    vi.useFakeTimers();
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { reportRoomActivity } = await load();
    const chat = {};
    reportRoomActivity(chat, 'settled');
    reportRoomActivity(chat, 'alone'); // the others left: no reason to wait any longer
    await vi.advanceTimersByTimeAsync(0);
    expect(built).toHaveBeenCalledTimes(2);
  });

  it('calls off a warm-up waiting for idle time when a peer starts connecting', async () => {
    vi.useFakeTimers();
    const idle: (() => void)[] = [];
    vi.stubGlobal('requestIdleCallback', (callback: () => void) => idle.push(callback));
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { reportRoomActivity } = await load();
    const chat = {};
    reportRoomActivity(chat, 'alone');
    await vi.advanceTimersByTimeAsync(0);
    expect(idle).toHaveLength(1);
    reportRoomActivity(chat, 'busy');
    idle.shift()!();
    expect(built).not.toHaveBeenCalled();
    reportRoomActivity(chat, 'alone');
    await vi.advanceTimersByTimeAsync(0);
    idle.shift()!();
    expect(built).toHaveBeenCalledTimes(2);
  });

  it('waits while any room on the page is busy, and forgets rooms that are gone', async () => {
    vi.useFakeTimers();
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { reportRoomActivity, WARM_AFTER_SETTLED_MS } = await load();
    const quiet = {};
    const connecting = {};
    reportRoomActivity(quiet, 'alone');
    reportRoomActivity(connecting, 'busy');
    await vi.advanceTimersByTimeAsync(WARM_AFTER_SETTLED_MS * 2);
    expect(built).not.toHaveBeenCalled();
    reportRoomActivity(connecting, undefined); // that element was removed from the page
    await vi.advanceTimersByTimeAsync(0);
    expect(built).toHaveBeenCalledTimes(2);
  });

  it('builds them on first use when nothing warmed them', async () => {
    const { formatMessageTimes } = await load();
    const sentAt = new Date(2026, 10, 22, 9, 5, 7);
    expect(formatMessageTimes(sentAt).short).toBe(new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(sentAt));
  });
});
