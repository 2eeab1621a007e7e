// Message times: the formats are built once, when no room on the page is busy, and not again for
// each message.
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.resetModules();
});

const load = () => import('../../../web/element/message-time.js');

/** Stands in for the browser's Worker: records what was started and whether it was ended. */
class FakeWorker {
  static started: FakeWorker[] = [];
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly terminate = vi.fn();
  constructor(readonly url: string) {
    FakeWorker.started.push(this);
  }
}

function stubWorkers(): { blobs: Blob[]; revoke: ReturnType<typeof vi.spyOn> } {
  FakeWorker.started = [];
  vi.stubGlobal('Worker', FakeWorker);
  const blobs: Blob[] = [];
  const create = URL.createObjectURL.bind(URL);
  vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
    blobs.push(blob as Blob);
    return create(blob as Blob);
  });
  return { blobs, revoke: vi.spyOn(URL, 'revokeObjectURL') };
}

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

  it('loads the locale data on a worker as soon as a room reports, even while busy, and ends the worker', async () => {
    const { blobs, revoke } = stubWorkers();
    const { reportRoomActivity } = await load();
    const chat = {};
    reportRoomActivity(chat, undefined); // no room: nothing to show times for
    expect(FakeWorker.started).toHaveLength(0);
    reportRoomActivity(chat, 'busy');
    reportRoomActivity(chat, 'busy');
    reportRoomActivity(chat, 'settled');
    expect(FakeWorker.started).toHaveLength(1);
    const [worker] = FakeWorker.started;

    // What the worker runs builds the page's two formats, uses them, and then answers.
    const built: unknown[][] = [];
    const formatted: unknown[] = [];
    const workerIntl = {
      DateTimeFormat: class {
        constructor(...args: unknown[]) {
          built.push(args);
        }
        format(date: unknown): string {
          formatted.push(date);
          return '';
        }
      },
    };
    const posted = vi.fn();
    new Function('postMessage', 'Intl', await blobs[0]!.text())(posted, workerIntl);
    expect(built).toEqual([
      [undefined, { hour: '2-digit', minute: '2-digit' }],
      [undefined, { dateStyle: 'medium', timeStyle: 'medium' }],
    ]);
    expect(formatted).toHaveLength(2);
    expect(posted).toHaveBeenCalledOnce();

    expect(worker!.terminate).not.toHaveBeenCalled();
    worker!.onmessage!(new MessageEvent('message', { data: 'warm' }));
    expect(worker!.terminate).toHaveBeenCalledOnce();
    expect(revoke).toHaveBeenCalledWith(worker!.url);
  });

  it('ends a worker the page may not run, and still builds the formats itself on schedule', async () => {
    vi.useFakeTimers();
    const { revoke } = stubWorkers();
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { reportRoomActivity } = await load();
    const chat = {};
    reportRoomActivity(chat, 'busy');
    const [worker] = FakeWorker.started;
    worker!.onerror!(new Event('error')); // how most browsers report a policy that forbids it
    expect(worker!.terminate).toHaveBeenCalledOnce();
    expect(revoke).toHaveBeenCalledWith(worker!.url);
    reportRoomActivity(chat, 'alone');
    await vi.advanceTimersByTimeAsync(0);
    expect(built).toHaveBeenCalledTimes(2);
  });

  it('carries on when the browser refuses the worker outright', async () => {
    vi.useFakeTimers();
    const { revoke } = stubWorkers();
    vi.stubGlobal(
      'Worker',
      class {
        constructor() {
          throw new DOMException('Refused by the page\'s policy', 'SecurityError');
        }
      },
    );
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    const { reportRoomActivity } = await load();
    expect(() => reportRoomActivity({}, 'alone')).not.toThrow();
    expect(revoke).toHaveBeenCalledOnce();
    await vi.advanceTimersByTimeAsync(0);
    expect(built).toHaveBeenCalledTimes(2);
  });
});
