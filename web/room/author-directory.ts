/**
 * Who wrote what, provably: the public signing key of every author this participant has met, in a
 * connection's proof or alongside history entries, each checked against its peer id (the id is a
 * hash of the key, protocol/ids.ts). It signs this participant's messages and checks everyone
 * else's: a message counts only if its author's key signed exactly its room, id, text, time and
 * name; an act, only if it signed the act's every field too.
 */
import { importPublicKey, peerIdFor, sign, verifySignature, type SigningIdentity } from '../security/identity-keys.js';
import { actSignaturePayload, messageSignaturePayload } from '../../protocol/room-crypto.js';
import type { Act, HistoryAuthor } from '../../protocol/peer.js';

/** The fields an author signs. */
export interface SignedFields {
  id: string;
  text: string;
  sentAt: number;
  name: string;
}

/** The fields an author signs for an act (a reply, a file offer, an edit, a deletion, a reaction). */
export interface SignedActFields {
  id: string;
  sentAt: number;
  name: string;
  act: Act;
}

/** What the conversation needs to sign and check messages (a fake in its unit tests). */
export interface MessageAuthority {
  sign(fields: SignedFields): Promise<string>;
  /** True only if `authorId`'s known key made `signature` over exactly these fields. */
  verify(authorId: string, fields: SignedFields, signature: string): Promise<boolean>;
  signAct(fields: SignedActFields): Promise<string>;
  /** True only if `authorId`'s known key made `signature` over exactly this act. */
  verifyAct(authorId: string, fields: SignedActFields, signature: string): Promise<boolean>;
  /** Learns an author from a history frame; false when its key and commit do not give its id. */
  learn(author: HistoryAuthor): Promise<boolean>;
  /** An author's key and commit, to send along with its messages in history. */
  recordOf(authorId: string): HistoryAuthor | undefined;
}

interface AuthorRecord {
  readonly author: HistoryAuthor;
  readonly key: CryptoKey;
}

export class AuthorDirectory implements MessageAuthority {
  readonly #roomId: string;
  readonly #self: SigningIdentity;
  readonly #authors = new Map<string, AuthorRecord>();

  constructor(roomId: string, self: SigningIdentity) {
    this.#roomId = roomId;
    this.#self = self;
    this.#authors.set(self.peerId, { author: { id: self.peerId, key: self.publicKey, commit: self.commit }, key: self.keys.publicKey });
  }

  /** Records a peer whose proof has been checked on a connection (its key is already imported). */
  addProven(author: HistoryAuthor, key: CryptoKey): void {
    this.#authors.set(author.id, { author, key });
  }

  async learn(author: HistoryAuthor): Promise<boolean> {
    const known = this.#authors.get(author.id);
    if (known) return known.author.key === author.key && known.author.commit === author.commit;
    if ((await peerIdFor(this.#roomId, author.key, author.commit)) !== author.id) return false;
    const key = await importPublicKey(author.key);
    if (!key) return false;
    this.#authors.set(author.id, { author, key });
    return true;
  }

  recordOf(authorId: string): HistoryAuthor | undefined {
    return this.#authors.get(authorId)?.author;
  }

  sign({ id, text, sentAt, name }: SignedFields): Promise<string> {
    return sign(this.#self.keys.privateKey, messageSignaturePayload(this.#roomId, id, text, sentAt, name));
  }

  async verify(authorId: string, { id, text, sentAt, name }: SignedFields, signature: string): Promise<boolean> {
    const record = this.#authors.get(authorId);
    if (!record) return false;
    return verifySignature(record.key, signature, messageSignaturePayload(this.#roomId, id, text, sentAt, name));
  }

  signAct({ id, sentAt, name, act }: SignedActFields): Promise<string> {
    return sign(this.#self.keys.privateKey, actSignaturePayload(this.#roomId, id, sentAt, name, act));
  }

  async verifyAct(authorId: string, { id, sentAt, name, act }: SignedActFields, signature: string): Promise<boolean> {
    const record = this.#authors.get(authorId);
    if (!record) return false;
    return verifySignature(record.key, signature, actSignaturePayload(this.#roomId, id, sentAt, name, act));
  }
}
