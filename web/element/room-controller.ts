/**
 * Connects a ParleyRoom to a Lit element's lifecycle: creates the room when the host is connected
 * and has a room key, re-renders the host on every change, and leaves the room when the host goes
 * away or its room, name or signaling URL changes.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ParleyRoom, type RoomEvents } from '../room/room.js';

export interface RoomSettings {
  roomKey: string;
  name: string;
  signalingUrl: string;
}

type ForwardedEvent = Exclude<keyof RoomEvents, 'change'>;
/** Every room event the host hears of (a Record, so TypeScript refuses a list that misses a new one). */
const FORWARDED_EVENTS: Record<ForwardedEvent, true> = {
  message: true,
  'message-changed': true,
  typing: true,
  'file-transfer': true,
  'peer-joined': true,
  'peer-left': true,
  status: true,
  security: true,
  'link-path': true,
  'link-failed': true,
  receipt: true,
  verification: true,
};

export class RoomController implements ReactiveController {
  #room: ParleyRoom | undefined;
  #settings: RoomSettings | undefined;
  #connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    /** Called for each room event, so the host can re-dispatch it as a DOM event. */
    private readonly onRoomEvent: <K extends keyof RoomEvents>(type: K, payload: RoomEvents[K]) => void,
  ) {
    host.addController(this);
  }

  get room(): ParleyRoom | undefined {
    return this.#room;
  }

  /** Applies the host's current settings: joins, rejoins elsewhere, renames, or leaves. */
  update(settings: RoomSettings | undefined): void {
    const previous = this.#settings;
    this.#settings = settings;
    if (!this.#connected) return;
    if (
      this.#room &&
      settings &&
      previous &&
      previous.roomKey === settings.roomKey &&
      previous.signalingUrl === settings.signalingUrl
    ) {
      if (previous.name !== settings.name) this.#room.setName(settings.name);
      return;
    }
    this.open();
  }

  /** Leaves the room (the others see us go at once); the log stays on screen until join(). */
  leave(): void {
    this.#room?.close();
    this.host.requestUpdate();
  }

  /** Joins the room again with the current settings: after leave(), or to retry after a refusal. */
  join(): void {
    if (this.#connected) this.open();
  }

  hostConnected(): void {
    this.#connected = true;
    window.addEventListener('pagehide', this.#onPageHide);
    window.addEventListener('pageshow', this.#onPageShow);
    this.open();
  }

  hostDisconnected(): void {
    this.#connected = false;
    window.removeEventListener('pagehide', this.#onPageHide);
    window.removeEventListener('pageshow', this.#onPageShow);
    this.#room?.close();
    this.#room = undefined;
  }

  /**
   * Closing the tab closes the peer connections on purpose, so the others see the data channels
   * close at once even when the signaling server is down (otherwise ICE takes ~30 s to give up).
   */
  readonly #onPageHide = (): void => {
    this.#room?.close();
  };

  /** Back from the back/forward cache: the room was left on pagehide, so join it again. */
  readonly #onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted && this.#connected) this.open();
  };

  private open(): void {
    this.#room?.close();
    this.#room = undefined;
    const settings = this.#settings;
    if (settings?.roomKey) {
      // The tab's identity in this room survives reloads (sessionStorage, IndexedDB): same participant.
      const room = new ParleyRoom({ ...settings, persistIdentity: true });
      this.#room = room;
      room.on('change', () => this.host.requestUpdate());
      for (const type of Object.keys(FORWARDED_EVENTS) as ForwardedEvent[]) {
        room.on(type, (payload) => this.onRoomEvent(type, payload));
      }
      room.start();
    }
    this.host.requestUpdate();
  }
}
