/**
 * The standalone app's own words (the chat element has its catalogs in web/element/i18n/), in the
 * language the element picks from the browser: the page then speaks one language throughout.
 * index.html marks each text with `data-text` (its content), `data-text-placeholder` or
 * `data-text-label` (aria-label); the English there is what a page without script shows.
 */
import type { Locale } from '../element/i18n/messages.js';

interface AppText {
  home: string;
  yourName: string;
  copyLink: string;
  linkCopied: string;
  copyFailed: string;
  copiedAnnouncement: string;
  copyFailedAnnouncement: string;
  leave: string;
  heroTitle: string;
  heroLede: string;
  newRoom: string;
  privateTitle: string;
  privateText: string;
  installTitle: string;
  installText: string;
  hostTitle: string;
  hostText: string;
  badLinkTitle: string;
  badLinkText: string;
  roomHeading: string;
  roomTitle: string;
  landingTitle: string;
  notifyOff: string;
  notifyOn: string;
  notifyBlocked: string;
  notifyHelp: string;
  autoImages: string;
  autoImagesNever: string;
  /** With a {size} placeholder ("10 MB"). */
  autoImagesUpTo: string;
}

const en: AppText = {
  home: 'Parley home',
  yourName: 'Your name',
  copyLink: 'Copy room link',
  linkCopied: 'Link copied ✓',
  copyFailed: 'Copy failed: copy the address bar',
  copiedAnnouncement: 'Room link copied to the clipboard.',
  copyFailedAnnouncement: 'Could not copy; copy the address from the address bar.',
  leave: 'Leave',
  heroTitle: 'Chat directly, browser to browser.',
  heroLede:
    'Open a room, send the link to your friends, and talk. Messages travel straight between your browsers over encrypted WebRTC connections — no account, and no server ever sees what you write.',
  newRoom: 'New room',
  privateTitle: 'Private by design.',
  privateText: 'The room key stays in the link; the server only introduces browsers.',
  installTitle: 'Nothing to install.',
  installText: 'Works in any modern browser, on desktop and phone.',
  hostTitle: 'Self-hostable.',
  hostText: 'One small server you run yourself, with your own STUN/TURN.',
  badLinkTitle: "This room link doesn't look right.",
  badLinkText: 'A room link ends with a long code after the #. Ask the person who sent it for the full link, or start a new room.',
  roomHeading: 'Chat room',
  roomTitle: 'Room · Parley',
  landingTitle: 'Parley · private peer-to-peer chat',
  notifyOff: 'Notify me',
  notifyOn: 'Notifications on',
  notifyBlocked: 'Notifications blocked',
  notifyHelp: 'A notification and a sound for new messages while this tab is in the background.',
  autoImages: 'Download images by themselves',
  autoImagesNever: 'never',
  autoImagesUpTo: 'up to {size}',
};

const de: AppText = {
  home: 'Parley-Startseite',
  yourName: 'Dein Name',
  copyLink: 'Raumlink kopieren',
  linkCopied: 'Link kopiert ✓',
  copyFailed: 'Kopieren fehlgeschlagen: kopiere die Adresszeile',
  copiedAnnouncement: 'Raumlink in die Zwischenablage kopiert.',
  copyFailedAnnouncement: 'Kopieren ging nicht; kopiere die Adresse aus der Adresszeile.',
  leave: 'Verlassen',
  heroTitle: 'Chatte direkt, von Browser zu Browser.',
  heroLede:
    'Öffne einen Raum, schick den Link an deine Freunde und leg los. Nachrichten gehen direkt zwischen euren Browsern über verschlüsselte WebRTC-Verbindungen – ohne Konto, und kein Server sieht je, was du schreibst.',
  newRoom: 'Neuer Raum',
  privateTitle: 'Privat von Grund auf.',
  privateText: 'Der Raumschlüssel bleibt im Link; der Server stellt die Browser nur einander vor.',
  installTitle: 'Nichts zu installieren.',
  installText: 'Läuft in jedem aktuellen Browser, am Computer und auf dem Handy.',
  hostTitle: 'Selbst zu betreiben.',
  hostText: 'Ein kleiner Server, den du selbst betreibst, mit deinem eigenen STUN/TURN.',
  badLinkTitle: 'Dieser Raumlink sieht nicht richtig aus.',
  badLinkText: 'Ein Raumlink endet mit einem langen Code nach dem #. Bitte die Person, die ihn geschickt hat, um den vollständigen Link, oder starte einen neuen Raum.',
  roomHeading: 'Chatraum',
  roomTitle: 'Raum · Parley',
  landingTitle: 'Parley · privater Peer-to-Peer-Chat',
  notifyOff: 'Benachrichtigen',
  notifyOn: 'Benachrichtigungen an',
  notifyBlocked: 'Benachrichtigungen blockiert',
  notifyHelp: 'Eine Benachrichtigung und ein Ton bei neuen Nachrichten, solange dieser Tab im Hintergrund ist.',
  autoImages: 'Bilder von selbst herunterladen',
  autoImagesNever: 'nie',
  autoImagesUpTo: 'bis {size}',
};

const ar: AppText = {
  home: 'الصفحة الرئيسية لـ Parley',
  yourName: 'اسمك',
  copyLink: 'نسخ رابط الغرفة',
  linkCopied: 'تم نسخ الرابط ✓',
  copyFailed: 'تعذّر النسخ: انسخ شريط العنوان',
  copiedAnnouncement: 'تم نسخ رابط الغرفة إلى الحافظة.',
  copyFailedAnnouncement: 'تعذّر النسخ؛ انسخ العنوان من شريط العنوان.',
  leave: 'مغادرة',
  heroTitle: 'تحدّث مباشرةً، من متصفح إلى متصفح.',
  heroLede:
    'افتح غرفة، وأرسل الرابط إلى أصدقائك، وابدأ الحديث. تنتقل الرسائل مباشرةً بين متصفحاتكم عبر اتصالات WebRTC مشفّرة — بلا حساب، ولا يرى أي خادم ما تكتبه.',
  newRoom: 'غرفة جديدة',
  privateTitle: 'الخصوصية في الأساس.',
  privateText: 'يبقى مفتاح الغرفة في الرابط؛ والخادم يعرّف المتصفحات ببعضها فقط.',
  installTitle: 'لا شيء لتثبيته.',
  installText: 'يعمل في أي متصفح حديث، على الحاسوب والهاتف.',
  hostTitle: 'يمكنك استضافته بنفسك.',
  hostText: 'خادم صغير تشغّله بنفسك، مع خادم STUN/TURN الخاص بك.',
  badLinkTitle: 'يبدو أن رابط الغرفة هذا غير صحيح.',
  badLinkText: 'ينتهي رابط الغرفة برمز طويل بعد العلامة #. اطلب الرابط كاملًا ممن أرسله إليك، أو ابدأ غرفة جديدة.',
  roomHeading: 'غرفة المحادثة',
  roomTitle: 'غرفة · Parley',
  landingTitle: 'Parley · محادثة خاصة من نظير إلى نظير',
  notifyOff: 'نبّهني',
  notifyOn: 'التنبيهات مفعّلة',
  notifyBlocked: 'التنبيهات محظورة',
  notifyHelp: 'تنبيه وصوت عند وصول رسائل جديدة ما دامت هذه الصفحة في الخلفية.',
  autoImages: 'تنزيل الصور تلقائيًا',
  autoImagesNever: 'أبدًا',
  autoImagesUpTo: 'حتى {size}',
};

const TEXTS: Record<Locale, AppText> = { en, de, ar };

export type AppTextKey = keyof AppText;

/** The app's words in `locale`; puts them into the page and sets its language and direction. */
export function applyAppText(locale: Locale): AppText {
  const text = TEXTS[locale];
  document.documentElement.lang = locale;
  document.documentElement.dir = locale === 'ar' ? 'rtl' : 'ltr';
  for (const element of document.querySelectorAll<HTMLElement>('[data-text]')) element.textContent = text[element.dataset.text as AppTextKey];
  for (const element of document.querySelectorAll<HTMLInputElement>('[data-text-placeholder]')) element.placeholder = text[element.dataset.textPlaceholder as AppTextKey];
  for (const element of document.querySelectorAll<HTMLElement>('[data-text-label]')) element.setAttribute('aria-label', text[element.dataset.textLabel as AppTextKey]);
  return text;
}
