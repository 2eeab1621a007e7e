// Speed and time left on a fake clock.
import { describe, expect, it } from 'vitest';
import { MIN_SPEED_SPAN_MS, SPEED_WINDOW_MS, TransferProgress } from '../../../web/files/transfer-progress.js';

class FakeNow {
  at = 1_000_000;
  now = (): number => this.at;
}

const MB = 1_000_000;

describe('TransferProgress', () => {
  it('claims no speed until enough time has passed', () => {
    const clock = new FakeNow();
    const progress = new TransferProgress(10 * MB, clock);
    clock.at += MIN_SPEED_SPAN_MS - 1;
    progress.update(MB);
    expect(progress.snapshot()).toEqual({ bytes: MB, totalBytes: 10 * MB, bytesPerSecond: undefined, secondsLeft: undefined });
  });

  it('measures a steady rate and the time left at it', () => {
    const clock = new FakeNow();
    const progress = new TransferProgress(100 * MB, clock);
    for (let second = 1; second <= 10; second += 1) {
      clock.at += 1000;
      progress.update(second * 2 * MB);
    }
    const { bytes, bytesPerSecond, secondsLeft } = progress.snapshot();
    expect(bytes).toBe(20 * MB);
    expect(bytesPerSecond).toBeCloseTo(2 * MB);
    expect(secondsLeft).toBeCloseTo(40);
  });

  it(`follows a slowdown within ${SPEED_WINDOW_MS} ms`, () => {
    const clock = new FakeNow();
    const progress = new TransferProgress(1000 * MB, clock);
    let bytes = 0;
    const run = (seconds: number, perSecond: number): void => {
      for (let second = 0; second < seconds; second += 1) {
        clock.at += 1000;
        bytes += perSecond;
        progress.update(bytes);
      }
    };
    run(20, 10 * MB);
    expect(progress.snapshot().bytesPerSecond).toBeCloseTo(10 * MB);
    run(SPEED_WINDOW_MS / 1000, MB);
    expect(progress.snapshot().bytesPerSecond).toBeCloseTo(MB);
  });

  it('measures the window by interpolating when its only sample is older', () => {
    const clock = new FakeNow();
    const progress = new TransferProgress(100 * MB, clock);
    clock.at += 10_000;
    progress.update(10 * MB); // 1 MB/s on average over those 10 s
    expect(progress.snapshot().bytesPerSecond).toBeCloseTo(MB);
  });

  it('drops to 0 (and no time left claimed) when nothing moves for the whole window', () => {
    const clock = new FakeNow();
    const progress = new TransferProgress(100 * MB, clock);
    clock.at += 1000;
    progress.update(5 * MB);
    clock.at += SPEED_WINDOW_MS + 1;
    expect(progress.snapshot()).toMatchObject({ bytes: 5 * MB, bytesPerSecond: 0, secondsLeft: undefined });
  });

  it('keeps few samples however often it is told', () => {
    const clock = new FakeNow();
    const progress = new TransferProgress(1000 * MB, clock);
    for (let step = 1; step <= 10_000; step += 1) {
      clock.at += 1;
      progress.update(step * 1000);
    }
    // 10 s at 1 MB/s in steps of 1 ms: the speed is right.
    expect(progress.snapshot().bytesPerSecond).toBeCloseTo(MB);
  });

  it('starts afresh on restart (a resumed transfer), from where it was', () => {
    const clock = new FakeNow();
    const progress = new TransferProgress(100 * MB, clock);
    clock.at += 1000;
    progress.update(10 * MB);
    clock.at += 60_000; // the link was down for a minute
    progress.restart(8 * MB);
    expect(progress.snapshot()).toMatchObject({ bytes: 8 * MB, bytesPerSecond: undefined });
    clock.at += 1000;
    progress.update(12 * MB);
    expect(progress.snapshot().bytesPerSecond).toBeCloseTo(4 * MB);
    expect(progress.snapshot().secondsLeft).toBeCloseTo(22);
  });

  it('reports 0 s left once everything is done', () => {
    const clock = new FakeNow();
    const progress = new TransferProgress(MB, clock);
    progress.update(MB);
    expect(progress.snapshot().secondsLeft).toBe(0);
  });
});
