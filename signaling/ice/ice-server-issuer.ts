/**
 * The ICE servers each connection is handed, in `welcome` and again on `refresh-ice-servers`:
 * - the operator's list (ICE_SERVERS) if there is one, else the server's own STUN, addressed by the
 *   host name the page was loaded from (so it is the address the browser can already reach, behind
 *   a proxy too), with no third party contacted;
 * - plus TURN (TURN_URLS) with credentials made for this connection alone, as coturn's REST shared
 *   secret scheme expects (`use-auth-secret`): username `<unix expiry>:<peer id>`, password
 *   base64(HMAC-SHA1(secret, username)). They expire after TURN_TTL, so a credential copied out of a
 *   page, or out of a member's hands, is worth minutes of relaying, never a standing password.
 */
import { createHmac } from 'node:crypto';
import type { IceServer, IceServersMessage } from '../../protocol/signaling.js';

export interface TurnSettings {
  urls: readonly string[];
  /** coturn's `static-auth-secret`. */
  secret: string;
  ttlSeconds: number;
}

export interface IceServerSettings {
  /** ICE_SERVERS: when set, used instead of the built-in STUN. */
  staticServers: readonly IceServer[];
  /** The UDP port the built-in STUN server answers on; undefined when it does not run. */
  stunPort: number | undefined;
  turn: TurnSettings | undefined;
  /** Wall-clock milliseconds (coturn compares the expiry with its own clock). */
  now?: () => number;
}

export type IssuedIceServers = Omit<IceServersMessage, 'type'>;

/** coturn's REST-API password for a username: base64 of HMAC-SHA1 keyed with the shared secret. */
export function turnRestPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** A host name or IPv4 address, or a bracketed IPv6 address, then an optional port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9.])?)(?::\d{1,5})?$/i;

/**
 * `stun:<host>:<port>` for the Host the browser sent (or a trusted proxy passed on), or undefined
 * if that is not a plain host name: it comes from the client, and a malformed URL in the list would
 * make the browser refuse the whole configuration.
 */
export function stunUrlForHost(hostHeader: string, port: number): string | undefined {
  const match = HOST_HEADER.exec(hostHeader.trim());
  return match ? `stun:${match[1]!.toLowerCase()}:${port}` : undefined;
}

export class IceServerIssuer {
  /** TURN credentials handed out since start (for metrics). */
  turnCredentialsIssued = 0;
  readonly #settings: IceServerSettings;
  readonly #now: () => number;

  constructor(settings: IceServerSettings) {
    this.#settings = settings;
    this.#now = settings.now ?? Date.now;
  }

  /** Whether connections get credentials that expire (and so must be refreshed). */
  get issuesTurnCredentials(): boolean {
    return this.#settings.turn !== undefined;
  }

  /** The list for one joined connection: `browserHost` is the Host it addressed, `peerId` its id. */
  issue(browserHost: string, peerId: string): IssuedIceServers {
    const { staticServers, stunPort, turn } = this.#settings;
    const iceServers: IceServer[] = staticServers.map((server) => ({ ...server }));
    if (staticServers.length === 0 && stunPort !== undefined) {
      const url = stunUrlForHost(browserHost, stunPort);
      if (url) iceServers.push({ urls: url });
    }
    if (!turn) return { iceServers };
    const expiresAt = Math.floor(this.#now() / 1000) + turn.ttlSeconds;
    const username = `${expiresAt}:${peerId}`;
    iceServers.push({ urls: [...turn.urls], username, credential: turnRestPassword(turn.secret, username) });
    this.turnCredentialsIssued += 1;
    return { iceServers, iceServersValidForMs: turn.ttlSeconds * 1000 };
  }
}
