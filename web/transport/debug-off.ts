/**
 * Stands in for the `debug` package in the browser builds (see vite.shared.ts). simple-peer logs
 * through it, but those logs only ever print when a developer turns them on in localStorage, and
 * the package costs about 6 KB of script and a storage read as the page starts. Here every logger
 * is off.
 */
export interface Logger {
  (...args: unknown[]): void;
  readonly enabled: false;
  readonly namespace: string;
}

export default function createLogger(namespace: string): Logger {
  return Object.assign(() => undefined, { enabled: false as const, namespace });
}
