/**
 * Display names: what a person calls themselves in a room. They travel only between peers, over
 * authenticated data channels, and are signed into every message (protocol/peer.ts); the
 * signaling server never sees one. Pure TypeScript.
 */
export const MAX_NAME_LENGTH = 64;

/**
 * A display name: 1–64 characters, not blank, no control characters (they would break a log line
 * or a layout and no keyboard types them).
 */
export const NAME_PATTERN = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$';

/** Normalises what a person typed as a display name; returns '' when nothing usable is left. */
export function normaliseDisplayName(raw: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const cleaned = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return Array.from(cleaned).slice(0, MAX_NAME_LENGTH).join('').trim();
}
