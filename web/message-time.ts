/**
 * The times shown on messages. The first DateTimeFormat a page builds loads the locale's data:
 * 20–30 ms in a freshly started renderer, over 100 ms when the machine is busy. So the formats are
 * built ahead of the first message, in idle time, but only once the room has been settled (nothing
 * connecting) for a while: built while links are still forming, they would hold those up instead.
 */
interface TimeFormats {
  short: Intl.DateTimeFormat;
  full: Intl.DateTimeFormat;
}

/** How long the room must stay settled before the formats are built. */
export const WARM_AFTER_SETTLED_MS = 1000;

let formats: TimeFormats | undefined;
let warmTimer: ReturnType<typeof setTimeout> | undefined;

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
 * Reports whether the room is settled; call it whenever that may have changed. Once it has stayed
 * settled for WARM_AFTER_SETTLED_MS, the formats are built when the page is next idle (once).
 */
export function warmMessageTimeFormatsWhenSettled(settled: boolean): void {
  if (formats) return;
  if (!settled) {
    clearTimeout(warmTimer);
    warmTimer = undefined;
    return;
  }
  // Safari has no requestIdleCallback: building right away after the wait is the nearest thing.
  const whenIdle = globalThis.requestIdleCallback ?? ((callback: () => void) => callback());
  warmTimer ??= setTimeout(() => whenIdle(() => void timeFormats()), WARM_AFTER_SETTLED_MS);
}
