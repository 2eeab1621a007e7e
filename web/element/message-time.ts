/**
 * The times shown on messages. The first DateTimeFormat a page builds loads the locale's data:
 * 20–30 ms in a freshly started renderer, over 100 ms when the machine is busy. Two things keep
 * that off the page's main thread and away from the first message:
 * - As soon as a room reports, a short-lived worker builds the same formats. The locale data it
 *   loads is cached for the whole renderer process, so the page's own formats then take about a
 *   millisecond. That also covers history that arrives the moment the first link opens.
 * - The page's own formats are built ahead of the first message, in idle time: at once when the
 *   page is alone in its room, and otherwise once the room has been settled (nothing connecting)
 *   for a while. Built while links are still forming, they would hold those up. Where no worker
 *   can start (a Content-Security-Policy without `worker-src blob:`), this is all there is.
 */
interface TimeFormats {
  short: Intl.DateTimeFormat;
  full: Intl.DateTimeFormat;
}

const SHORT_TIME: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
const FULL_TIME: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium' };

/** How long a room with others in it must stay settled before the formats are built. */
export const WARM_AFTER_SETTLED_MS = 1000;

/** 'busy': not joined yet, or a link is still connecting. */
export type RoomActivity = 'busy' | 'settled' | 'alone';

let formats: TimeFormats | undefined;
/** What each element on the page last reported; the busiest one decides. */
const activities = new Map<object, RoomActivity>();
let warmTimer: ReturnType<typeof setTimeout> | undefined;
let warmDelay = 0;
/** Bumped whenever the page turns busy, so a warm-up already on its way is called off. */
let busyGeneration = 0;
let backgroundWarmStarted = false;

function timeFormats(): TimeFormats {
  formats ??= {
    short: new Intl.DateTimeFormat(undefined, SHORT_TIME),
    full: new Intl.DateTimeFormat(undefined, FULL_TIME),
  };
  return formats;
}

/** Formats for a language the element was told to speak (its `lang`), one pair per language. */
const formatsByLocale = new Map<string, TimeFormats>();

function timeFormatsFor(locale: string): TimeFormats {
  let found = formatsByLocale.get(locale);
  if (!found) {
    found = { short: new Intl.DateTimeFormat(locale, SHORT_TIME), full: new Intl.DateTimeFormat(locale, FULL_TIME) };
    formatsByLocale.set(locale, found);
  }
  return found;
}

/**
 * The time as shown next to a message, and in full for its tooltip: in the browser's own format,
 * or in `locale`'s where the element was given a language.
 */
export function formatMessageTimes(date: Date, locale?: string): { short: string; full: string } {
  const { short, full } = locale === undefined ? timeFormats() : timeFormatsFor(locale);
  return { short: short.format(date), full: full.format(date) };
}

/** What the worker runs: build and use each format once, then say so. */
const LOCALE_WARM_UP_SOURCE = `for (const options of ${JSON.stringify([SHORT_TIME, FULL_TIME])}) new Intl.DateTimeFormat(undefined, options).format(0);
postMessage('warm');`;

/** Loads the locale's date data on a worker thread, once per page; the worker then ends. */
function warmLocaleDataInBackground(): void {
  if (formats || typeof Worker === 'undefined') return;
  let url: string | undefined;
  let worker: Worker | undefined;
  const finish = (): void => {
    worker?.terminate();
    if (url !== undefined) URL.revokeObjectURL(url);
  };
  try {
    url = URL.createObjectURL(new Blob([LOCALE_WARM_UP_SOURCE], { type: 'text/javascript' }));
    worker = new Worker(url);
    // 'error' is what a policy that forbids the worker looks like in most browsers.
    worker.onmessage = worker.onerror = finish;
  } catch {
    // Some browsers refuse at once instead. The page builds its formats itself, as scheduled.
    finish();
  }
}

function pageActivity(): RoomActivity | undefined {
  const reported = [...activities.values()];
  if (reported.length === 0) return undefined;
  if (reported.includes('busy')) return 'busy';
  return reported.every((activity) => activity === 'alone') ? 'alone' : 'settled';
}

/**
 * Reports what `owner`'s room is doing (undefined: it has none, or is gone); call it whenever that
 * may have changed. The first room to report starts the worker. Once no room on the page is busy,
 * the formats are built (once) when the page is next idle after the wait that calls for.
 */
export function reportRoomActivity(owner: object, activity: RoomActivity | undefined): void {
  if (activity === undefined) activities.delete(owner);
  else activities.set(owner, activity);
  if (formats) return;
  if (activity !== undefined && !backgroundWarmStarted) {
    backgroundWarmStarted = true;
    warmLocaleDataInBackground();
  }
  const page = pageActivity();
  if (page === undefined) return;
  if (page === 'busy') {
    clearTimeout(warmTimer);
    warmTimer = undefined;
    busyGeneration += 1;
    return;
  }
  const delay = page === 'alone' ? 0 : WARM_AFTER_SETTLED_MS;
  if (warmTimer !== undefined && warmDelay <= delay) return; // already waiting, no longer than this
  clearTimeout(warmTimer);
  warmDelay = delay;
  const generation = busyGeneration;
  // Safari has no requestIdleCallback: building right away after the wait is the nearest thing.
  const whenIdle = globalThis.requestIdleCallback ?? ((callback: () => void) => callback());
  warmTimer = setTimeout(() => {
    warmTimer = undefined;
    whenIdle(() => {
      if (generation === busyGeneration) timeFormats();
    });
  }, delay);
}
