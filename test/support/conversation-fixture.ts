// What the conversation's unit tests share: a port that records what is sent, participants who can
// sign as themselves (real WebCrypto keys), and a wait for WebCrypto to finish.
import { AuthorDirectory } from '../../web/room/author-directory.js';
import { Conversation } from '../../web/room/conversation.js';
import { createSessionSecret } from '../../web/security/room-keys.js';
import { generateSigningKeys, signingIdentity, type SigningIdentity } from '../../web/security/identity-keys.js';
import { decodePeerMessage, type HistoryAuthor, type PeerMessage } from '../../protocol/peer.js';

/** The frames sent to each peer, decoded; peers in `unreachable` have no proven link. */
export class RecordingPort {
  readonly sent: { to: string; message: PeerMessage }[] = [];
  readonly unreachable = new Set<string>();
  send(peerId: string, frame: string): boolean {
    if (this.unreachable.has(peerId)) return false;
    this.sent.push({ to: peerId, message: decodePeerMessage(frame)! });
    return true;
  }
  to(peerId: string): PeerMessage[] {
    return this.sent.filter((entry) => entry.to === peerId).map((entry) => entry.message);
  }
  acksTo(peerId: string): string[] {
    return this.to(peerId).flatMap((message) => (message.type === 'ack' ? message.ids : []));
  }
}

/** A participant who can sign as itself: what an honest author (or a forger, with its own key) produces. */
export interface Author {
  identity: SigningIdentity;
  directory: AuthorDirectory;
  record: HistoryAuthor;
}

export async function makeAuthor(roomId: string): Promise<Author> {
  const identity = await signingIdentity(roomId, createSessionSecret(), await generateSigningKeys());
  return { identity, directory: new AuthorDirectory(roomId, identity), record: { id: identity.peerId, key: identity.publicKey, commit: identity.commit } };
}

/** Lets WebCrypto finish: polls `check` between turns of the event loop. */
export async function eventually(check: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000; turn += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, turn < 100 ? 0 : 5));
  }
  throw new Error('condition not reached');
}

/**
 * `self`'s conversation, sending through `port`, its messages numbered from 1; the `proven` peers
 * have proven themselves on their links (the room records them so).
 */
export function conversationOf(roomId: string, self: Author, proven: readonly Author[], port: RecordingPort): Conversation {
  let sequence = 0;
  const directory = new AuthorDirectory(roomId, self.identity);
  for (const peer of proven) directory.addProven(peer.record, peer.identity.keys.publicKey);
  return new Conversation({ selfId: self.identity.peerId, nextSequence: () => (sequence += 1), peers: port, authority: directory, maxMessages: 1000 });
}
