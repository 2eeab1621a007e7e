/** Small statistics helpers for benchmark samples. */

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const ordered = sorted(values);
  const rank = Math.min(ordered.length - 1, Math.max(0, Math.ceil((p / 100) * ordered.length) - 1));
  return ordered[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function summarise(samples: readonly number[]): Summary {
  const ordered = sorted(samples);
  return { median: median(ordered), min: ordered[0] ?? Number.NaN, max: ordered.at(-1) ?? Number.NaN, samples: [...samples] };
}
