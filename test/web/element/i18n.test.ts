// The element's languages: which one an element picks, that every catalog is complete and really
// translated, plurals by Intl.PluralRules (Arabic has six forms), and the labels in each language.
import { describe, expect, it } from 'vitest';
import { en } from '../../../web/element/i18n/en.js';
import { de } from '../../../web/element/i18n/de.js';
import { ar } from '../../../web/element/i18n/ar.js';
import { messagesFor, pickLocale } from '../../../web/element/i18n/locale.js';
import { aroundName, withName, type Messages } from '../../../web/element/i18n/messages.js';
import { deliveryLabel, statusLabel } from '../../../web/element/labels.js';

/** Every leaf of a catalog as path → value (functions called with sample arguments). */
function leaves(catalog: Messages): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') out.set(path, value);
    else if (typeof value === 'function') out.set(path, String((value as (...args: unknown[]) => unknown)(7, 'Ada', 'hello')));
    else if (value && typeof value === 'object') for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
  };
  walk(catalog, '');
  return out;
}

describe('choosing a language', () => {
  it.each([
    [['de-CH', 'en'], 'de'],
    [['fr-FR', 'ar-EG', 'de'], 'ar'],
    [['AR'], 'ar'],
    [['fr', 'es'], 'en'],
    [[], 'en'],
    [['en-GB', 'de'], 'en'],
  ] as const)('%o → %s', (wanted, locale) => {
    expect(pickLocale(wanted)).toBe(locale);
  });

  it('loads each catalog once, and English is there at once', async () => {
    expect(await messagesFor('en')).toBe(en);
    expect(await messagesFor('de')).toBe(de);
    expect(await messagesFor('ar')).toBe(ar);
    expect(messagesFor('de')).toBe(messagesFor('de'));
  });
});

describe('the catalogs', () => {
  const english = leaves(en);

  it.each([
    ['de', de],
    ['ar', ar],
  ] as const)('%s has every sentence English has, each translated, with the {name} placeholders kept', (_locale, catalog) => {
    const translated = leaves(catalog);
    expect([...translated.keys()].sort()).toEqual([...english.keys()].sort());
    const stillEnglish = [...english].filter(([path, text]) => path !== 'direction' && translated.get(path) === text && /[a-z]{3}/.test(text)).map(([path]) => path);
    expect(stillEnglish).toEqual([]);
    for (const [path, text] of english) {
      expect(translated.get(path)!.includes('{name}'), path).toBe(text.includes('{name}'));
    }
  });

  it('says numbers in each language’s plural forms', () => {
    const several = (catalog: Messages, count: number): string => catalog.announceSeveral(count, 'Ada', 'hi');
    expect(several(en, 1)).toMatch(/^1 new message\./);
    expect(several(en, 3)).toMatch(/^3 new messages\./);
    expect(several(de, 1)).not.toBe(several(de, 2).replace(/2/, '1'));
    // Arabic: zero, one, two, few (3–10), many (11–99), other (100…) are six different sentences.
    const arabic = [0, 1, 2, 3, 11, 100].map((count) => several(ar, count).replace(/[0-9٠-٩٬,]+/g, '#'));
    expect(new Set(arabic).size).toBe(6);
  });

  it('sets a name apart from the sentence around it', () => {
    expect(withName(en.markVerified, 'Ada')).toBe('Mark Ada as verified');
    expect(aroundName(en.markVerified)).toEqual(['Mark ', ' as verified']);
    expect(aroundName(ar.markVerified).join('{name}')).toBe(ar.markVerified);
  });
});

describe('labels in another language', () => {
  it('the status line and receipts in German', () => {
    expect(statusLabel({ phase: 'joined' }, 0, 0, 0, de)).toBe(de.statusAlone);
    expect(deliveryLabel({ delivered: 2, total: 3, undeliverable: [] }, () => undefined, de, 'de')).toEqual({ text: de.deliveredOf(2, 3), state: 'pending' });
    expect(deliveryLabel({ delivered: 0, total: 2, undeliverable: [{ peerId: 'a', reason: 'outbox-full' }, { peerId: 'b', reason: 'outbox-full' }] }, (id) => ({ a: 'Ada', b: 'Bob' })[id], de, 'de').text).toBe(
      de.notDeliveredTo('Ada, Bob', de.undeliverableOutboxFull),
    );
  });

  it('a refusal: English says what the server said; another language says what the code means', () => {
    const refused = { phase: 'rejected', code: 'origin-not-allowed', detail: 'The English sentence from the room.' } as const;
    expect(statusLabel(refused, 0, 0, 0, en, 'https://site.example')).toBe('The English sentence from the room.');
    expect(statusLabel(refused, 0, 0, 0, ar, 'https://site.example')).toBe(ar.refusedOrigin('https://site.example'));
    // A code no language has a sentence for: the server's words, whatever the language.
    expect(statusLabel({ phase: 'rejected', code: 'something-new', detail: 'Server says no.' } as never, 0, 0, 0, de)).toBe('Server says no.');
  });
});
