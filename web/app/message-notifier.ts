/**
 * Desktop notifications and a short chime for messages that arrive while the tab is hidden. Off
 * until the person asks with the button (the browser's permission prompt comes only from that
 * click, never on load); the choice is remembered on this device.
 */
import type { ChatMessage } from '../room/room.js';
import { visibleFileName } from '../shared/visible-file-name.js';

const STORAGE_KEY = 'parley:notifications';
/** How much of a message a notification shows. */
const PREVIEW_LENGTH = 140;

export type NotifierState = 'off' | 'on' | 'blocked' | 'unsupported';

export class MessageNotifier {
  #audio: AudioContext | undefined;

  constructor(private readonly storage: Storage = localStorage) {}

  get state(): NotifierState {
    if (typeof Notification === 'undefined') return 'unsupported';
    if (Notification.permission === 'denied') return 'blocked';
    return Notification.permission === 'granted' && this.storage.getItem(STORAGE_KEY) === 'on' ? 'on' : 'off';
  }

  /** Called from the button's click: asks the browser, and turns notifications on if allowed. */
  async toggle(): Promise<NotifierState> {
    if (this.state === 'on') {
      this.storage.setItem(STORAGE_KEY, 'off');
      return 'off';
    }
    if (this.state !== 'off') return this.state;
    // Made during the click, so the browser lets it play later, when the tab is in the background.
    this.#audio ??= new AudioContext();
    const permission = await Notification.requestPermission();
    if (permission === 'granted') this.storage.setItem(STORAGE_KEY, 'on');
    return this.state;
  }

  /** A message entered the chat: notify if it is someone else's, new, and the tab is hidden. */
  messageArrived(message: ChatMessage, roomTitle: string): void {
    if (message.own || message.fromHistory || document.visibilityState === 'visible' || this.state !== 'on') return;
    const text = message.file ? `📎 ${visibleFileName(message.file.name)}` : message.text;
    const notification = new Notification(`${message.authorName} · ${roomTitle}`, {
      body: text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text,
      // One notification per room at a time: a burst of messages does not pile up.
      tag: 'parley-message',
      silent: true,
    });
    notification.addEventListener('click', () => {
      window.focus();
      notification.close();
    });
    this.chime();
  }

  /** Two soft notes (synthesised: no sound file to load). */
  private chime(): void {
    const audio = (this.#audio ??= new AudioContext());
    void audio.resume().catch(() => undefined);
    const start = audio.currentTime;
    for (const [offset, frequency] of [
      [0, 880],
      [0.12, 1320],
    ] as const) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.15, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.25);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.3);
    }
  }
}
