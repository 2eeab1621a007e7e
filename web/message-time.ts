/**
 * The times shown on messages. The first DateTimeFormat a page builds loads the locale's data:
 * 20–30 ms in a freshly started renderer, over 100 ms when the machine is busy. So the formats are
 * built ahead of the first message, in idle time: at once when the page is alone in its room, and
 * otherwise once the room has been settled (nothing connecting) for a while. Built while links are
 * still forming, they would hold those up instead.
 */
interface TimeFormats {
  short: Intl.DateTimeFormat;
  full: Intl.DateTimeFormat;
}

/** How long a room with others in it must stay settled before the formats are built. */
export const WARM_AFTER_SETTLED_MS = 1000;

/** 'busy': not joined yet, or a link is still connecting. */
export type RoomActivity = 'busy' | 'settled' | 'alone';

let formats: TimeFormats | undefined;
let warmTimer: ReturnType<typeof setTimeout> | undefined;
let warmDelay = 0;

function timeFormats(): TimeFormats {
  formats ??= {
    short: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }),
    full: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }),
  };
  return formats;
}

/** The time as shown next to a message, and in full for its tooltip. */
export function formatMessageTimes(date: Date): { short: string; full: string } {
  const { short, full } = timeFormats();
  return { short: short.format(date), full: full.format(date) };
}

/**
 * Reports what the room is doing; call it whenever that may have changed. The formats are built
 * (once) when the page is next idle after the wait that activity calls for.
 */
export function warmMessageTimeFormats(activity: RoomActivity): void {
  if (formats) return;
  if (activity === 'busy') {
    clearTimeout(warmTimer);
    warmTimer = undefined;
    return;
  }
  const delay = activity === 'alone' ? 0 : WARM_AFTER_SETTLED_MS;
  if (warmTimer !== undefined && warmDelay <= delay) return; // already waiting, no longer than this
  clearTimeout(warmTimer);
  warmDelay = delay;
  // Safari has no requestIdleCallback: building right away after the wait is the nearest thing.
  const whenIdle = globalThis.requestIdleCallback ?? ((callback: () => void) => callback());
  warmTimer = setTimeout(() => whenIdle(() => void timeFormats()), delay);
}
