// Message times: the formats are built once, in idle time, and not again for each message.
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.resetModules();
});

describe('message times', () => {
  it('builds the formats when the page is idle, once, and reuses them for every message', async () => {
    vi.useFakeTimers();
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { formatMessageTimes, warmMessageTimeFormats } = await import('../../web/message-time.js');
    warmMessageTimeFormats();
    warmMessageTimeFormats();
    expect(built).not.toHaveBeenCalled(); // nothing on the spot: it waits for idle time
    await vi.runAllTimersAsync();
    expect(built).toHaveBeenCalledTimes(2); // the short and the full format

    const sentAt = new Date(2026, 10, 22, 9, 5, 7);
    const times = formatMessageTimes(sentAt);
    expect(times.short).toBe(new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(sentAt));
    expect(times.full).toContain(String(sentAt.getFullYear()));
    built.mockClear();
    formatMessageTimes(new Date());
    expect(built).not.toHaveBeenCalled();
  });

  it('builds them on first use when nothing warmed them', async () => {
    const { formatMessageTimes } = await import('../../web/message-time.js');
    const sentAt = new Date(2026, 10, 22, 9, 5, 7);
    expect(formatMessageTimes(sentAt).short).toBe(new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(sentAt));
  });
});
