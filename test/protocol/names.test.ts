// Display names as people type them: what the browser keeps and sends to its peers (never to the
// signaling server).
import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, NAME_PATTERN, normaliseDisplayName } from '../../protocol/names.js';

describe('normaliseDisplayName', () => {
  it('trims, collapses whitespace and removes control characters', () => {
    expect(normaliseDisplayName('  Ada \t  Lovelace\n')).toBe('Ada Lovelace');
    expect(normaliseDisplayName('a\u0000b')).toBe('a b');
  });

  it('returns empty for nothing usable', () => {
    expect(normaliseDisplayName(' \n\t ')).toBe('');
  });

  it('cuts at 64 code points without splitting a surrogate pair', () => {
    const name = normaliseDisplayName('🦊'.repeat(70));
    expect(Array.from(name)).toHaveLength(64);
    expect(name).toBe('🦊'.repeat(64));
  });

  it('keeps non-Latin names as typed', () => {
    expect(normaliseDisplayName('Zoë 🦊 محمد')).toBe('Zoë 🦊 محمد');
  });

  it('produces names that NAME_PATTERN and MAX_NAME_LENGTH accept', () => {
    const pattern = new RegExp(NAME_PATTERN);
    for (const raw of ['  Ada  ', '🦊'.repeat(70), 'x'.repeat(200), 'a\u0007b', `${'y'.repeat(63)} z`, 'Zoë 🦊 محمد']) {
      const name = normaliseDisplayName(raw);
      expect(name, JSON.stringify(raw)).toMatch(pattern);
      expect(Array.from(name).length, JSON.stringify(raw)).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    }
  });

  it('has NAME_PATTERN refuse what normalising would remove', () => {
    const pattern = new RegExp(NAME_PATTERN);
    for (const bad of ['', '   ', 'a\u0000b', 'tab\there', 'bell\u0007', 'del\u007f']) expect(bad).not.toMatch(pattern);
  });
});
