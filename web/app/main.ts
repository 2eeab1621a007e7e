/**
 * The standalone app: a landing page with "New room", and a room page for `#<room-key>` links
 * with "Copy room link" and an editable display name.
 */
import '../element/define.js';
import { createRoomKey, isValidRoomKey } from '../security/room-keys.js';
import { loadDisplayName, saveDisplayName } from './display-name-store.js';
import { discardPreconnectedSocket } from '../transport/signaling-preconnect.js';
import { pickLocale } from '../element/i18n/locale.js';
import { applyAppText } from './app-text.js';
import { MessageNotifier, type NotifierState } from './message-notifier.js';
import { formatBytes } from '../element/file-view.js';
import { DOWNLOAD_WORKER_SCOPE, DOWNLOAD_WORKER_SCRIPT } from '../files/download-stream-protocol.js';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html is missing #${id}`);
  return element as T;
}

const landing = byId('landing');
const invalidLink = byId('invalid-link');
const roomView = byId('room-view');
const roomTools = byId('room-tools');
const leaveLink = byId('leave');
const chat = byId<HTMLElementTagNameMap['parley-chat']>('chat');
const nameInput = byId<HTMLInputElement>('display-name');
const copyButton = byId<HTMLButtonElement>('copy-link');
const announcer = byId('announcer');
const notifyButton = byId<HTMLButtonElement>('notify');
const notifier = new MessageNotifier();
const autoImages = byId<HTMLSelectElement>('auto-images');

// The language the chat element picks from the browser's languages, for the page around it too.
const text = applyAppText(pickLocale(navigator.languages ?? [navigator.language]));

let displayName = loadDisplayName();
nameInput.value = displayName;

function openNewRoom(): void {
  // Assigning the hash adds a history entry, so Back returns to the landing page.
  location.hash = createRoomKey();
}

function showRoute(): void {
  const key = decodeURIComponent(location.hash.slice(1));
  const view = key === '' ? 'landing' : isValidRoomKey(key) ? 'room' : 'invalid';
  landing.hidden = view !== 'landing';
  invalidLink.hidden = view !== 'invalid';
  roomView.hidden = view !== 'room';
  roomTools.hidden = view !== 'room';
  leaveLink.hidden = view !== 'room';
  if (view === 'room') {
    chat.name = displayName;
    chat.room = key;
    showUnread(chat.unreadCount);
  } else {
    discardPreconnectedSocket();
    chat.room = '';
    document.title = text.landingTitle;
  }
}

function commitName(): void {
  const saved = saveDisplayName(nameInput.value);
  if (!saved) {
    // An empty or blank name is not applied; the previous one comes back.
    nameInput.value = displayName;
    return;
  }
  displayName = saved;
  nameInput.value = saved;
  chat.name = saved;
}

async function copyRoomLink(): Promise<void> {
  const link = location.href;
  let copied = false;
  try {
    await navigator.clipboard.writeText(link);
    copied = true;
  } catch {
    // No async clipboard (plain http on a LAN address): fall back to selecting a temporary field.
    const field = document.createElement('textarea');
    field.value = link;
    field.setAttribute('readonly', '');
    field.style.position = 'fixed';
    field.style.opacity = '0';
    document.body.append(field);
    field.select();
    copied = document.execCommand('copy');
    field.remove();
  }
  copyButton.textContent = copied ? text.linkCopied : text.copyFailed;
  announcer.textContent = copied ? text.copiedAnnouncement : text.copyFailedAnnouncement;
  setTimeout(() => {
    copyButton.textContent = text.copyLink;
  }, 2500);
}

byId('new-room').addEventListener('click', openNewRoom);
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-action="new-room"]')) {
  button.addEventListener('click', openNewRoom);
}
copyButton.addEventListener('click', () => void copyRoomLink());
nameInput.addEventListener('change', commitName);
nameInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') nameInput.blur();
});
/** The tab's title counts the messages not seen yet, so a background tab shows there are some. */
function showUnread(count: number): void {
  document.title = count > 0 ? `(${count.toLocaleString(document.documentElement.lang)}) ${text.roomTitle}` : text.roomTitle;
}

function showNotifierState(state: NotifierState): void {
  notifyButton.hidden = state === 'unsupported';
  notifyButton.setAttribute('aria-pressed', state === 'on' ? 'true' : 'false');
  notifyButton.disabled = state === 'blocked';
  notifyButton.querySelector('.notify-label')!.textContent = state === 'on' ? text.notifyOn : state === 'blocked' ? text.notifyBlocked : text.notifyOff;
  notifyButton.title = text.notifyHelp;
}

/** The sizes a person can pick for images to come by themselves (0: never); remembered on this device. */
const AUTO_IMAGE_SIZES = [0, 1_000_000, 10_000_000, 50_000_000];
const AUTO_IMAGES_KEY = 'parley.autoAcceptImagesUpTo';

function setUpAutoImages(): void {
  let saved = 10_000_000;
  try {
    saved = Number(localStorage.getItem(AUTO_IMAGES_KEY) ?? saved);
  } catch {
    // No storage: the default for this visit.
  }
  const chosen = AUTO_IMAGE_SIZES.includes(saved) ? saved : 10_000_000;
  const locale = document.documentElement.lang;
  autoImages.replaceChildren(
    ...AUTO_IMAGE_SIZES.map((size) => new Option(size === 0 ? text.autoImagesNever : text.autoImagesUpTo.replace('{size}', formatBytes(size, locale)), String(size), false, size === chosen)),
  );
  chat.autoAcceptImagesUpTo = chosen;
  autoImages.addEventListener('change', () => {
    chat.autoAcceptImagesUpTo = Number(autoImages.value);
    try {
      localStorage.setItem(AUTO_IMAGES_KEY, autoImages.value);
    } catch {
      // Applied for this visit only.
    }
  });
}

setUpAutoImages();
chat.addEventListener('parley-unread', (event) => {
  if (!roomView.hidden) showUnread(event.detail.count);
});
chat.addEventListener('parley-message', (event) => notifier.messageArrived(event.detail.message, text.roomTitle));
notifyButton.addEventListener('click', () => void notifier.toggle().then(showNotifierState));
showNotifierState(notifier.state);
window.addEventListener('hashchange', showRoute);
showRoute();

// The service worker that streams a large received file into the downloads where the browser
// gives the page no private file system (a Firefox private window). Its scope holds nothing but
// download URLs: it never sees this page's own requests. Registered once the page is up.
window.addEventListener('load', () => {
  navigator.serviceWorker?.register(DOWNLOAD_WORKER_SCRIPT, { scope: DOWNLOAD_WORKER_SCOPE }).catch(() => {
    // No service workers here (some private windows, a policy): such files stay in memory.
  });
});
