/**
 * The times shown on messages. The first DateTimeFormat a page builds loads the locale's data,
 * which takes 20–30 ms in a freshly started renderer; warmMessageTimeFormats() pays that while the
 * page is idle, so it is not added to showing the first message.
 */
interface TimeFormats {
  short: Intl.DateTimeFormat;
  full: Intl.DateTimeFormat;
}

let formats: TimeFormats | undefined;
let warming = false;

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

/** Builds the formats when the page is next idle, once per page; later calls do nothing. */
export function warmMessageTimeFormats(): void {
  if (formats || warming) return;
  warming = true;
  // Safari has no requestIdleCallback: a short timer is the nearest thing there.
  const whenIdle = globalThis.requestIdleCallback ?? ((callback: () => void) => setTimeout(callback, 200));
  whenIdle(() => void timeFormats());
}
