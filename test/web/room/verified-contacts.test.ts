import { describe, expect, it } from 'vitest';
import { VerifiedContacts } from '../../../web/room/verified-contacts.js';

/** localStorage as a Map, so what is remembered across page loads can be inspected. */
class MemoryStorage implements Pick<Storage, 'getItem' | 'setItem'> {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

const ROOM = 'r'.repeat(43);
const store = (): MemoryStorage & Storage => new MemoryStorage() as MemoryStorage & Storage;

describe('verified contacts', () => {
  it('remember a verified key for the room, across page loads, and forget it when unmarked', () => {
    const storage = store();
    new VerifiedContacts(ROOM, storage).set('Ada', 'key-of-ada', true);
    const later = new VerifiedContacts(ROOM, storage);
    expect(later.isVerified('key-of-ada')).toBe(true);
    expect(new VerifiedContacts('o'.repeat(43), storage).isVerified('key-of-ada')).toBe(false);
    later.set('Ada', 'key-of-ada', false);
    expect(new VerifiedContacts(ROOM, storage).isVerified('key-of-ada')).toBe(false);
  });

  it('flag someone showing a verified name with another key, and nobody else', () => {
    const contacts = new VerifiedContacts(ROOM, store());
    contacts.set('Ada', 'key-of-ada', true);
    expect(contacts.isImpostorOf('Ada', 'key-of-mallory')).toBe(true);
    expect(contacts.isImpostorOf('Ada', 'key-of-ada')).toBe(false);
    expect(contacts.isImpostorOf('Bob', 'key-of-mallory')).toBe(false);
    expect(contacts.isImpostorOf('', 'key-of-mallory')).toBe(false);
  });

  it('survive storage that is broken or full', () => {
    const broken = store();
    broken.setItem(`parley.verified.${ROOM}`, '{not json');
    expect(new VerifiedContacts(ROOM, broken).isVerified('x')).toBe(false);
    const full = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); } } as unknown as Storage;
    const contacts = new VerifiedContacts(ROOM, full);
    contacts.set('Ada', 'key-of-ada', true);
    expect(contacts.isVerified('key-of-ada')).toBe(true);
  });
});
