// The resident memory of Chromium's renderer processes, read from /proc: what a page holds,
// for tests and benchmarks that bound it (a file transfer must not keep the file in memory).
import { readdirSync, readFileSync } from 'node:fs';

/** The resident set of every Chromium renderer process on this machine now, in bytes, by pid. */
export function rendererResidentBytes(): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (rss) sizes.set(Number(pid), Number(rss[1]) * 1024);
    } catch {
      // The process ended while it was read.
    }
  }
  return sizes;
}

export interface RendererMemoryPeak {
  /** The largest resident set any renderer had, in bytes. */
  peakBytes: number;
  /** The most any one renderer grew over what it held when sampling started (a new one: all of it). */
  growthBytes: number;
  /** What each renderer held when sampling started, in bytes. */
  beforeBytes: number[];
}

/** Samples every renderer every `intervalMs` until stopped: how large any got, and how much any grew. */
export function samplePeakRendererMemory(intervalMs = 250): { stop(): RendererMemoryPeak } {
  const before = rendererResidentBytes();
  let peakBytes = 0;
  let growthBytes = 0;
  const sample = (): void => {
    for (const [pid, bytes] of rendererResidentBytes()) {
      peakBytes = Math.max(peakBytes, bytes);
      growthBytes = Math.max(growthBytes, bytes - (before.get(pid) ?? 0));
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakBytes, growthBytes, beforeBytes: [...before.values()] };
    },
  };
}
