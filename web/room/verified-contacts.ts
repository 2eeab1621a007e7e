/**
 * The people this participant has verified in a room (by comparing safety codes), remembered in
 * localStorage for the room: their name and public signing key. A peer with a remembered key is
 * shown as verified on every later connection; a peer that shows a remembered name with another
 * key is flagged, since it is not the person who was verified under that name.
 */

interface VerifiedContact {
  name: string;
  key: string;
}

/** Most contacts remembered per room. */
const MAX_CONTACTS = 64;

function localStore(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined; // storage disabled: verification lasts as long as the page
  }
}

export class VerifiedContacts {
  readonly #storageKey: string;
  #contacts: VerifiedContact[];

  constructor(roomId: string, private readonly store: Storage | undefined = localStore()) {
    this.#storageKey = `parley.verified.${roomId}`;
    this.#contacts = this.read();
  }

  isVerified(key: string): boolean {
    return this.#contacts.some((contact) => contact.key === key);
  }

  /** Someone of this name was verified with another key, and this key is not verified. */
  isImpostorOf(name: string, key: string): boolean {
    return name !== '' && !this.isVerified(key) && this.#contacts.some((contact) => contact.name === name && contact.key !== key);
  }

  /** Marks (or unmarks) a key as verified, under the name it showed. */
  set(name: string, key: string, verified: boolean): void {
    this.#contacts = this.#contacts.filter((contact) => contact.key !== key);
    if (verified) this.#contacts.push({ name, key });
    this.#contacts = this.#contacts.slice(-MAX_CONTACTS);
    try {
      this.store?.setItem(this.#storageKey, JSON.stringify(this.#contacts));
    } catch {
      // Quota or disabled storage: remembered for this page only.
    }
  }

  private read(): VerifiedContact[] {
    try {
      const parsed: unknown = JSON.parse(this.store?.getItem(this.#storageKey) ?? '[]');
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (entry): entry is VerifiedContact => typeof entry === 'object' && entry !== null && typeof entry.name === 'string' && typeof entry.key === 'string',
      );
    } catch {
      return [];
    }
  }
}
