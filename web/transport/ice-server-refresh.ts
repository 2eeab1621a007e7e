/**
 * Keeps short-lived TURN credentials fresh: the server's `welcome` (and each `ice-servers` answer)
 * says how long its list is good for; well before then this asks for a new one, so every connection
 * made later, or healed, gets credentials the TURN server still accepts. Connections already relayed
 * are not affected by expiry: a TURN server checks credentials when an allocation is made and keeps
 * the key for the allocation's life.
 */
import type { IceServer, IceServersMessage } from '../../protocol/signaling.js';
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';

/** Ask when this share of the lifetime has passed: a refused or lost request has time to retry. */
export const REFRESH_AT_SHARE = 0.75;
/** No sooner than this after the last list, whatever the server says (a tiny TTL must not become a loop). */
export const MIN_REFRESH_DELAY_MS = 5_000;

export interface IceServerRefreshOptions {
  /** Sends `refresh-ice-servers`; false if the signaling connection is not open. */
  request(): boolean;
  /** The new list, for connections made from now on. */
  apply(iceServers: readonly IceServer[]): void;
  clock?: Clock;
}

export class IceServerRefresh {
  readonly #options: IceServerRefreshOptions;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  /** When the list held now stops being accepted (wall clock), if it expires. */
  #expiresAt: number | undefined;

  constructor(options: IceServerRefreshOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** When the credentials held expire (ms since the epoch), or undefined if they do not. */
  get expiresAt(): number | undefined {
    return this.#expiresAt;
  }

  /** A list from the server (welcome or ice-servers): apply it, and plan the next request. */
  received({ iceServers, iceServersValidForMs }: Omit<IceServersMessage, 'type'>): void {
    this.#options.apply(usableIceServers(iceServers));
    if (typeof iceServersValidForMs !== 'number' || !(iceServersValidForMs > 0)) iceServersValidForMs = undefined;
    this.#cancel();
    if (iceServersValidForMs === undefined) {
      this.#expiresAt = undefined;
      return;
    }
    this.#expiresAt = this.#clock.now() + iceServersValidForMs;
    this.#schedule(Math.max(MIN_REFRESH_DELAY_MS, iceServersValidForMs * REFRESH_AT_SHARE));
  }

  /** The server refused a request for now: ask again when it says, if that is before expiry. */
  refused(retryAfterMs: number): void {
    if (this.#expiresAt === undefined) return;
    const delay = Math.max(MIN_REFRESH_DELAY_MS, retryAfterMs);
    if (this.#clock.now() + delay < this.#expiresAt) this.#schedule(delay);
  }

  /** The signaling connection is gone: the next welcome brings a fresh list. */
  stop(): void {
    this.#cancel();
  }

  #schedule(delayMs: number): void {
    this.#cancel();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      // Not sent (the connection just dropped): the welcome after reconnecting brings a new list.
      this.#options.request();
    }, delayMs);
  }

  #cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

const ICE_URL = /^(stun|stuns|turn|turns):[^\s]{1,500}$/;

/**
 * The entries of a server's list the browser can take. One malformed entry (the server is not
 * trusted to be well-formed) would make RTCPeerConnection refuse the whole configuration, so it
 * is dropped instead, and a warning says so.
 */
export function usableIceServers(list: unknown): IceServer[] {
  if (!Array.isArray(list)) return [];
  const usable: IceServer[] = [];
  for (const entry of list as unknown[]) {
    const { urls, username, credential } = (entry ?? {}) as Record<string, unknown>;
    const urlList = typeof urls === 'string' ? [urls] : Array.isArray(urls) ? urls : [];
    const wellFormed =
      urlList.length > 0 &&
      urlList.every((url) => typeof url === 'string' && ICE_URL.test(url)) &&
      (username === undefined || typeof username === 'string') &&
      (credential === undefined || typeof credential === 'string');
    if (!wellFormed) {
      console.warn('parley: ignored a malformed ICE server from the signaling server');
      continue;
    }
    const server: IceServer = { urls: typeof urls === 'string' ? urls : (urlList as string[]) };
    if (username !== undefined) server.username = username as string;
    if (credential !== undefined) server.credential = credential as string;
    usable.push(server);
  }
  return usable;
}
