// Message times: the formats are built once, after the room has settled, and not again for each message.
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.resetModules();
});

describe('message times', () => {
  it('builds the formats once a room with others has stayed settled for a while, once, and reuses them', async () => {
    vi.useFakeTimers();
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { formatMessageTimes, warmMessageTimeFormats, WARM_AFTER_SETTLED_MS } = await import('../../web/message-time.js');
    warmMessageTimeFormats('settled');
    await vi.advanceTimersByTimeAsync(WARM_AFTER_SETTLED_MS - 1);
    // A peer starts connecting just before the wait is over: the wait starts again when it is done.
    warmMessageTimeFormats('busy');
    await vi.advanceTimersByTimeAsync(WARM_AFTER_SETTLED_MS * 2);
    expect(built).not.toHaveBeenCalled();
    warmMessageTimeFormats('settled');
    warmMessageTimeFormats('settled'); // renders while settled do not restart the wait
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
    warmMessageTimeFormats('alone');
    await vi.runAllTimersAsync();
    expect(built).not.toHaveBeenCalled();
  });

  it('builds them without waiting when the page is alone in its room', async () => {
    vi.useFakeTimers();
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { warmMessageTimeFormats } = await import('../../web/message-time.js');
    warmMessageTimeFormats('settled');
    warmMessageTimeFormats('alone'); // the others left: no reason to wait any longer
    await vi.advanceTimersByTimeAsync(0);
    expect(built).toHaveBeenCalledTimes(2);
  });

  it('builds them on first use when nothing warmed them', async () => {
    const { formatMessageTimes } = await import('../../web/message-time.js');
    const sentAt = new Date(2026, 10, 22, 9, 5, 7);
    expect(formatMessageTimes(sentAt).short).toBe(new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(sentAt));
  });
});
