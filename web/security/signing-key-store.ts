/**
 * Where a tab keeps its signing keys, so a reload is the same participant. CryptoKey objects are
 * stored as they are in IndexedDB (the private key stays non-extractable: the page can use it but
 * nobody can read it out), under the room id and the tab's session secret. Tabs come and go, so keys
 * not used for a week are removed. Without IndexedDB (Node, some private modes) every load is a
 * new participant.
 */
const DATABASE = 'parley';
const STORE = 'signing-keys';
/** Keys not used for this long belong to tabs long closed. */
const UNUSED_KEY_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** IndexedDB can hang rather than fail (some private modes); past this, go on without it. */
const STORE_TIMEOUT_MS = 1500;

interface StoredKeys {
  keys: CryptoKeyPair;
  usedAt: number;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function openDatabase(): Promise<IDBDatabase> {
  const open = indexedDB.open(DATABASE, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

function withTimeout<T>(work: Promise<T>): Promise<T | undefined> {
  return Promise.race([work, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), STORE_TIMEOUT_MS))]);
}

/**
 * Keeps a new key pair for `slot` (room id and session secret) in the background: nothing waits
 * for IndexedDB, which can take a few hundred milliseconds while a page is loading.
 */
export function storeSigningKeysLater(slot: string, keys: CryptoKeyPair): void {
  if (typeof indexedDB === 'undefined') return;
  void withTimeout(
    (async () => {
      const db = await openDatabase();
      try {
        db.transaction(STORE, 'readwrite').objectStore(STORE).put({ keys, usedAt: Date.now() } satisfies StoredKeys, slot);
      } finally {
        db.close();
      }
    })(),
  ).catch(() => undefined); // storage refused: a reload of this tab will be a new participant
}

/**
 * The key pair stored for `slot` (room id and session secret), marked as used now; when there is
 * none, `create` makes one, which is stored for next time. `stored`: it was there before.
 */
export async function loadOrCreateSigningKeys(slot: string, create: () => Promise<CryptoKeyPair>): Promise<{ keys: CryptoKeyPair; stored: boolean }> {
  if (typeof indexedDB === 'undefined') return { keys: await create(), stored: false };
  try {
    const found = await withTimeout(
      (async () => {
        const db = await openDatabase();
        try {
          const read = db.transaction(STORE, 'readonly').objectStore(STORE);
          const existing = (await request(read.get(slot))) as StoredKeys | undefined;
          const now = Date.now();
          const keys = existing?.keys ?? (await create());
          const write = db.transaction(STORE, 'readwrite').objectStore(STORE);
          write.put({ keys, usedAt: now } satisfies StoredKeys, slot);
          // Forget the keys of tabs long gone (a cursor over a handful of entries).
          const cursorRequest = write.openCursor();
          cursorRequest.onsuccess = () => {
            const cursor = cursorRequest.result;
            if (!cursor) return;
            if (now - ((cursor.value as StoredKeys).usedAt ?? 0) > UNUSED_KEY_LIFETIME_MS) cursor.delete();
            cursor.continue();
          };
          return { keys, stored: existing !== undefined };
        } finally {
          db.close();
        }
      })(),
    );
    if (found) return found;
  } catch {
    // Storage refused (quota, privacy settings): this load is a new participant.
  }
  return { keys: await create(), stored: false };
}
