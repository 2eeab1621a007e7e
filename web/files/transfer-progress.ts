/**
 * How far a transfer is, how fast it goes and how long it has left. The speed is a moving average
 * over the last SPEED_WINDOW_MS: steady enough to read, quick to follow a link that slows down,
 * and down to 0 when nothing moved for that long.
 */
import type { Clock } from '../shared/clock.js';

/** The speed is measured over this much of the recent past. */
export const SPEED_WINDOW_MS = 5000;
/** No speed (and no time left) is claimed from less than this much time. */
export const MIN_SPEED_SPAN_MS = 500;
/** Samples closer together than this are merged, so a chunk-by-chunk caller keeps few of them. */
const SAMPLE_SPACING_MS = 250;

/**
 * A transfer's progress alone (no change of state) is told at most this often, on both sides: each
 * event redraws the chat, and a fast transfer confirms several blocks a second.
 */
export const PROGRESS_EVENT_INTERVAL_MS = 250;

export interface TransferProgressSnapshot {
  /** Bytes done (received, or confirmed by the receiver on the sending side). */
  bytes: number;
  totalBytes: number;
  /** Over the last few seconds; undefined until there is enough to tell. */
  bytesPerSecond: number | undefined;
  /** At the current speed; undefined while there is no speed (or it is 0). */
  secondsLeft: number | undefined;
}

interface Sample {
  at: number;
  bytes: number;
}

export class TransferProgress {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #totalBytes: number;
  #samples: Sample[];

  constructor(totalBytes: number, clock: Pick<Clock, 'now'>, startBytes = 0) {
    this.#totalBytes = totalBytes;
    this.#clock = clock;
    this.#samples = [{ at: clock.now(), bytes: startBytes }];
  }

  get bytes(): number {
    return this.#samples.at(-1)!.bytes;
  }

  /** `bytes` are done now. */
  update(bytes: number): void {
    const at = this.#clock.now();
    const samples = this.#samples;
    const previous = samples.at(-2);
    if (previous && at - previous.at < SAMPLE_SPACING_MS) samples[samples.length - 1] = { at, bytes };
    else samples.push({ at, bytes });
    this.#forgetBefore(at - SPEED_WINDOW_MS);
  }

  /**
   * Starts measuring again from `bytes` (a resumed transfer): the time the link was down says
   * nothing about the speed of the new one.
   */
  restart(bytes: number): void {
    this.#samples = [{ at: this.#clock.now(), bytes }];
  }

  snapshot(): TransferProgressSnapshot {
    const now = this.#clock.now();
    this.#forgetBefore(now - SPEED_WINDOW_MS);
    const [first, second] = this.#samples as [Sample, Sample | undefined];
    const bytes = this.bytes;
    // The window starts at the first sample, or SPEED_WINDOW_MS ago if that is older: then the
    // bytes done at its start lie on the line from the first sample to the next.
    const start = Math.max(first.at, now - SPEED_WINDOW_MS);
    const bytesAtStart = second && start > first.at ? first.bytes + ((second.bytes - first.bytes) * (start - first.at)) / (second.at - first.at) : first.bytes;
    const span = now - start;
    const bytesPerSecond = span >= MIN_SPEED_SPAN_MS ? ((bytes - bytesAtStart) * 1000) / span : undefined;
    const left = this.#totalBytes - bytes;
    const secondsLeft = left <= 0 ? 0 : bytesPerSecond ? left / bytesPerSecond : undefined;
    return { bytes, totalBytes: this.#totalBytes, bytesPerSecond, secondsLeft };
  }

  /** Drops samples older than `cutoff`, keeping the last one before it as the window's start. */
  #forgetBefore(cutoff: number): void {
    const samples = this.#samples;
    let drop = 0;
    while (drop + 1 < samples.length && samples[drop + 1]!.at <= cutoff) drop += 1;
    if (drop > 0) samples.splice(0, drop);
  }
}
