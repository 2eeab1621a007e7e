/**
 * Who this tab is in a room: a session secret and a signing key pair (from which the server and
 * the members derive the same peer id every time, protocol/ids.ts) and the sequence of its
 * messages. The secret and the sequence are kept in sessionStorage, the keys in IndexedDB
 * (signing-key-store.ts), so a reload of the tab is the same participant and continues its
 * message numbering; a new tab is a new participant.
 */
import { createSessionSecret } from '../security/room-keys.js';
import { generateSigningKeys } from '../security/identity-keys.js';
import { loadOrCreateSigningKeys, storeSigningKeysLater } from '../security/signing-key-store.js';
import { SESSION_SECRET_PATTERN } from '../../protocol/ids.js';

const SESSION_SECRET = new RegExp(SESSION_SECRET_PATTERN);

export interface SessionIdentity {
  readonly secret: string;
  /**
   * This tab was this participant before (a reload, or a tab restored after a crash): members may
   * still hold a direct connection to its previous page.
   */
  readonly resumed: boolean;
  /** The next message sequence number (1, 2, 3, … across reloads of this tab). */
  nextSequence(): number;
  /**
   * The tab's signing key pair in the room `roomId`; `stored`: it is the one this tab used before
   * (without it, the peer id is new, and the tab is a new participant after all). `fresh` is a
   * new pair, made beforehand, to use when the tab has none.
   */
  signingKeys(roomId: string, fresh?: Promise<CryptoKeyPair>): Promise<{ keys: CryptoKeyPair; stored: boolean }>;
}

interface Stored {
  secret: string;
  sequence: number;
}

/** An identity that lives only as long as this object (Node, or storage unavailable). */
export function ephemeralIdentity(): SessionIdentity {
  const secret = createSessionSecret();
  let sequence = 0;
  let keys: Promise<CryptoKeyPair> | undefined;
  return {
    secret,
    resumed: false,
    nextSequence: () => (sequence += 1),
    async signingKeys(_roomId, fresh) {
      const stored = keys !== undefined;
      keys ??= fresh ?? generateSigningKeys();
      return { keys: await keys, stored };
    },
  };
}

function sessionStore(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined; // storage disabled (privacy settings, sandboxed iframe)
  }
}

/** The identity of this tab in the room `roomId`, created on first use. */
export function loadSessionIdentity(roomId: string): SessionIdentity {
  const store = sessionStore();
  if (!store) return ephemeralIdentity();
  const key = `parley.session.${roomId}`;
  let stored: Stored | undefined;
  try {
    const parsed = JSON.parse(store.getItem(key) ?? 'null') as Partial<Stored> | null;
    if (parsed && typeof parsed.secret === 'string' && SESSION_SECRET.test(parsed.secret) && Number.isSafeInteger(parsed.sequence)) {
      stored = { secret: parsed.secret, sequence: parsed.sequence! };
    }
  } catch {
    stored = undefined; // unreadable: start afresh
  }
  const state: Stored = stored ?? { secret: createSessionSecret(), sequence: 0 };
  const save = (): void => {
    try {
      store.setItem(key, JSON.stringify(state));
    } catch {
      // Quota or disabled storage: this tab keeps working; only a reload would start afresh.
    }
  };
  save();
  return {
    secret: state.secret,
    resumed: stored !== undefined,
    nextSequence() {
      state.sequence += 1;
      save();
      return state.sequence;
    },
    async signingKeys(room, fresh) {
      const slot = `${room}:${state.secret}`;
      // A reload looks its keys up (it is the same participant only with them). A new tab has none
      // to find: it makes its keys and joins at once, and they are stored while it does.
      if (stored) return loadOrCreateSigningKeys(slot, () => fresh ?? generateSigningKeys());
      const keys = await (fresh ?? generateSigningKeys());
      storeSigningKeysLater(slot, keys);
      return { keys, stored: false };
    },
  };
}
