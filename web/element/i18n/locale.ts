/**
 * Which language an element speaks, and its catalog. The element's `lang` attribute wins; without
 * one, the first of the browser's languages Parley has; English otherwise. English is in the
 * script; German and Arabic load on first use, each a small file beside it.
 */
import { en } from './en.js';
import { LOCALES, type Locale, type Messages } from './messages.js';

const LOADERS: Record<Exclude<Locale, 'en'>, () => Promise<Messages>> = {
  de: () => import('./de.js').then((module) => module.de),
  ar: () => import('./ar.js').then((module) => module.ar),
};

const loaded = new Map<Locale, Promise<Messages>>([['en', Promise.resolve(en)]]);

/** The first of `wanted` (language tags, most wanted first) that Parley speaks, by its language. */
export function pickLocale(wanted: readonly string[]): Locale {
  for (const tag of wanted) {
    const language = tag.trim().toLowerCase().split(/[-_]/)[0];
    const match = LOCALES.find((locale) => locale === language);
    if (match) return match;
  }
  return 'en';
}

/** The catalog of `locale`, loaded once per page. */
export function messagesFor(locale: Locale): Promise<Messages> {
  let messages = loaded.get(locale);
  if (!messages) {
    messages = LOADERS[locale as Exclude<Locale, 'en'>]().catch((error: unknown) => {
      // A language file that cannot load (offline, blocked) leaves the element in English.
      console.warn(`parley: could not load the ${locale} texts; showing English`, error);
      loaded.delete(locale);
      return en;
    });
    loaded.set(locale, messages);
  }
  return messages;
}
