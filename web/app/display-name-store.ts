/** The standalone app's remembered display name (localStorage), with a friendly default. */
import { normaliseDisplayName } from '../../protocol/names.js';
import { friendlyName } from '../element/friendly-name.js';

const STORAGE_KEY = 'parley.displayName';

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    // Storage can be disabled (privacy settings, sandboxed iframes); the name then lasts one visit.
    return undefined;
  }
}

/** The remembered name, or a new friendly one that is remembered from now on. */
export function loadDisplayName(): string {
  const stored = normaliseDisplayName(storage()?.getItem(STORAGE_KEY) ?? '');
  if (stored) return stored;
  const name = friendlyName();
  saveDisplayName(name);
  return name;
}

/** Saves a name; returns the normalised name, or '' if nothing usable was given (not saved). */
export function saveDisplayName(raw: string): string {
  const name = normaliseDisplayName(raw);
  if (!name) return '';
  try {
    storage()?.setItem(STORAGE_KEY, name);
  } catch {
    // Quota or disabled storage: keep the name for this visit only.
  }
  return name;
}
