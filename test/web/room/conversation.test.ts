// The conversation on its own: a recording peer port, real signing keys (WebCrypto), and a fake
// clock for dates and the receipt sweep. What a member may and may not make it believe is tested
// here: each case says what the forging member tries. The Node room test covers the same parts
// over real connections.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Conversation, ChatSendError, HISTORY_WINDOW_MS, MAX_FUTURE_MS, type ChatMessage, type RefusalReason } from '../../../web/room/conversation.js';
import { AuthorDirectory, type MessageAuthority } from '../../../web/room/author-directory.js';
import { createRoomKey, createSessionSecret, deriveRoomKeys } from '../../../web/security/room-keys.js';
import { generateSigningKeys, signingIdentity, type SigningIdentity } from '../../../web/security/identity-keys.js';
import { decodePeerMessage, encodeHistoryFrames, HISTORY_LIMIT, type HistoryAuthor, type HistoryEntry, type PeerMessage } from '../../../protocol/peer.js';
import { authorOf, messageId } from '../../../protocol/ids.js';
import { conversationOf, eventually, makeAuthor, RecordingPort, type Author } from '../../support/conversation-fixture.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

let roomId: string;
let self: Author;
let ada: Author;
let bob: Author;
let cy: Author;

beforeAll(async () => {
  roomId = (await deriveRoomKeys(createRoomKey())).roomId;
  [self, ada, bob, cy] = await Promise.all([makeAuthor(roomId), makeAuthor(roomId), makeAuthor(roomId), makeAuthor(roomId)]);
});

let port: RecordingPort;
let conversation: Conversation;
let added: ChatMessage[];
let refused: { from: string; reason: RefusalReason }[];

beforeEach(async () => {
  // Only the clock and the sweep are faked: WebCrypto finishes on its own threads.
  vi.useFakeTimers({ now: NOW, toFake: ['Date', 'setInterval', 'clearInterval'] });
  port = new RecordingPort();
  // Ada and Bob have proven themselves on their links (the room records them so).
  conversation = conversationOf(roomId, self, [ada, bob], port);
  added = [];
  refused = [];
  conversation.on('message', (message) => added.push(message));
  conversation.on('refused', (refusal) => refused.push(refusal));
});

afterEach(() => {
  conversation.stop();
  vi.useRealTimers();
});

/** A message as `author` signs it; `signer` may be someone else (a forgery). */
async function entry(author: Author, seq: number, text: string, sentAt = NOW, name = 'Someone', signer: Author = author): Promise<HistoryEntry> {
  const id = messageId(author.identity.peerId, seq);
  return { id, text, sentAt, name, sig: await signer.directory.sign({ id, text, sentAt, name }) };
}

async function chat(author: Author, seq: number, text: string, sentAt = NOW, name = 'Someone', signer: Author = author) {
  return { type: 'chat', ...(await entry(author, seq, text, sentAt, name, signer)) } as const;
}

function history(entries: HistoryEntry[], authors: HistoryAuthor[] = [self, ada, bob, cy].map((author) => author.record)) {
  const byId = new Map(authors.map((author) => [author.id, author]));
  const frames = encodeHistoryFrames(entries, [], (id: string) => byId.get(authorOf(id)) ?? { id: authorOf(id), key: ada.record.key, commit: ada.record.commit });
  return frames.map((frame) => decodePeerMessage(frame)).filter((message) => message?.type === 'history');
}

describe('sending', () => {
  it('logs the message, sends it signed to each recipient and tracks their receipts', async () => {
    const message = conversation.send('hello', 'Me', [ada.identity.peerId, bob.identity.peerId]);
    expect(message).toMatchObject({ id: `${self.identity.peerId}:1`, authorId: self.identity.peerId, authorName: 'Me', text: 'hello', sentAt: NOW, own: true });
    await eventually(() => port.sent.length === 2);
    const [frame] = port.to(ada.identity.peerId);
    expect(frame).toMatchObject({ type: 'chat', id: message.id, text: 'hello', sentAt: NOW, name: 'Me' });
    // Anyone who knows our key can check it.
    const signature = (frame as { sig: string }).sig;
    expect(await ada.directory.learn(self.record)).toBe(true);
    expect(await ada.directory.verify(self.identity.peerId, { id: message.id, text: 'hello', sentAt: NOW, name: 'Me' }, signature)).toBe(true);
    expect(conversation.messages[0]?.signature).toBe(signature);
    expect(conversation.deliveryOf(message.id)).toEqual({ delivered: 0, total: 2, undeliverable: [] });
    await conversation.receive(ada.identity.peerId, { type: 'ack', ids: [message.id] });
    expect(conversation.deliveryOf(message.id)).toEqual({ delivered: 1, total: 2, undeliverable: [] });
  });

  it('refuses empty and over-long texts, and logs nothing', () => {
    expect(() => conversation.send(' \n\t', 'Me', [ada.identity.peerId])).toThrow(ChatSendError);
    expect(() => conversation.send('x'.repeat(16_001), 'Me', [ada.identity.peerId])).toThrow(/16,000 characters; this one has 16,001/);
    expect(conversation.messages).toEqual([]);
    expect(port.sent).toEqual([]);
  });
});

describe('live messages', () => {
  it('shows a message its author signed, under the name it signed, and acks it (duplicates too)', async () => {
    const message = await chat(ada, 1, 'hi', NOW, 'Ada');
    expect(await conversation.receive(ada.identity.peerId, message)).toBe(true);
    expect(conversation.messages).toEqual([
      { id: message.id, authorId: ada.identity.peerId, authorName: 'Ada', text: 'hi', sentAt: NOW, own: false, signature: message.sig },
    ]);
    await conversation.receive(ada.identity.peerId, message);
    expect(added).toHaveLength(1);
    expect(port.acksTo(ada.identity.peerId)).toEqual([message.id, message.id]);
  });

  it('refuses a message that claims another author, even one signed by that author (Ada relays Bob as her own)', async () => {
    expect(await conversation.receive(ada.identity.peerId, await chat(bob, 1, 'Ada passing off Bob', NOW, 'Bob', ada))).toBe(false);
    expect(await conversation.receive(ada.identity.peerId, await chat(bob, 2, 'a real one of Bob, from Ada'))).toBe(false);
    expect(await conversation.receive(ada.identity.peerId, await chat(self, 5, 'Ada pretending to be me', NOW, 'Me', ada))).toBe(false);
    expect(conversation.messages).toEqual([]);
    expect(port.sent).toEqual([]);
    expect(refused.map((refusal) => refusal.reason)).toEqual(['forged', 'forged', 'forged']);
  });

  it('refuses a message whose text, time or name was changed after signing', async () => {
    const signed = await chat(ada, 1, 'see you at 5 pm', NOW, 'Ada');
    for (const changed of [{ ...signed, text: 'see you at 6 pm' }, { ...signed, sentAt: NOW + 1 }, { ...signed, name: 'Bob' }]) {
      expect(await conversation.receive(ada.identity.peerId, changed)).toBe(false);
    }
    expect(conversation.messages).toEqual([]);
    expect(port.acksTo(ada.identity.peerId)).toEqual([]);
  });

  it(`refuses a message dated more than ${MAX_FUTURE_MS / 60_000} minutes ahead`, async () => {
    expect(await conversation.receive(ada.identity.peerId, await chat(ada, 1, 'from the future', NOW + MAX_FUTURE_MS + 1))).toBe(false);
    expect(refused).toEqual([{ from: ada.identity.peerId, reason: 'future' }]);
    expect(await conversation.receive(ada.identity.peerId, await chat(ada, 2, 'four minutes fast', NOW + 4 * 60_000))).toBe(true);
  });

  it('does not let a forged "next id" turn the real message into a dropped duplicate', async () => {
    // Ada guesses Bob's next id and sends it first; then Bob's real message with that id arrives.
    await conversation.receive(ada.identity.peerId, await chat(bob, 1, 'forged, first', NOW, 'Bob', ada));
    const real = await chat(bob, 1, 'the real one', NOW, 'Bob');
    expect(await conversation.receive(bob.identity.peerId, real)).toBe(true);
    expect(conversation.messages.map((message) => message.text)).toEqual(['the real one']);
    expect(port.acksTo(bob.identity.peerId)).toEqual([real.id]);
  });
});

describe('the hybrid clock', () => {
  it('stamps a reply later than the message it answers, even one from a clock a little ahead', async () => {
    const ahead = NOW + 60_000;
    await conversation.receive(ada.identity.peerId, await chat(ada, 1, 'from a clock a minute fast', ahead));
    const reply = conversation.send('reply', 'Me', [ada.identity.peerId]);
    expect(reply.sentAt).toBe(ahead + 1);
    expect(conversation.messages.map((message) => message.text)).toEqual(['from a clock a minute fast', 'reply']);
  });

  it('stamps messages sent within one millisecond in the order they were sent', () => {
    const first = conversation.send('one', 'Me', []);
    const second = conversation.send('two', 'Me', []);
    expect(second.sentAt).toBeGreaterThan(first.sentAt);
  });
});

describe('history', () => {
  const ADA_ID = () => ada.identity.peerId;

  it(`catches a proven peer up with at most ${HISTORY_LIMIT} signed messages, its outbox first`, async () => {
    port.unreachable.add(ADA_ID());
    const missed = conversation.send('sent while Ada was away', 'Me', [ADA_ID()]);
    for (let seq = 1; seq <= HISTORY_LIMIT + 50; seq += 1) await conversation.receive(bob.identity.peerId, await chat(bob, seq, `bob ${seq}`, NOW + seq));
    port.unreachable.delete(ADA_ID());
    await conversation.linkProven(ADA_ID());
    const frames = port.to(ADA_ID()).filter((message) => message.type === 'history');
    const entries = frames.flatMap((message) => message.messages);
    expect(entries).toHaveLength(HISTORY_LIMIT);
    expect(entries[0]?.id).toBe(missed.id);
    expect(entries.at(-1)?.text).toBe(`bob ${HISTORY_LIMIT + 50}`);
    expect(entries[1]?.text).toBe('bob 52');
    // The authors' keys travel along, so Ada can check Bob's entries without having met Bob.
    expect(new Set(frames.flatMap((message) => message.authors.map((author) => author.id)))).toEqual(new Set([self.identity.peerId, bob.identity.peerId]));
  });

  it('merges signed history by id, takes back its own messages from before a reload, and acks each author', async () => {
    await conversation.linkProven(ADA_ID());
    await conversation.receive(ADA_ID(), await chat(ada, 1, 'already here', NOW - 3));
    const [frame] = history([await entry(ada, 1, 'already here', NOW - 3), await entry(self, 1, 'mine, before my reload', NOW - 2), await entry(cy, 7, 'from Cy, whom I never met', NOW - 1)]);
    expect(await conversation.receive(ADA_ID(), frame!)).toBe(true);
    expect(conversation.messages.map((message) => [message.text, message.own])).toEqual([
      ['already here', false],
      ['mine, before my reload', true],
      ['from Cy, whom I never met', false],
    ]);
    expect(port.acksTo(ADA_ID())).toContain(`${ADA_ID()}:1`);
    expect(port.acksTo(cy.identity.peerId)).toEqual([`${cy.identity.peerId}:7`]);
  });

  it('takes nothing a member forged in its history, shows nothing and acks nothing', async () => {
    await conversation.linkProven(ADA_ID());
    const cyId = cy.identity.peerId;
    const forgeries = [
      await entry(bob, 1, 'Ada writing as Bob', NOW, 'Bob', ada), // another author
      await entry(self, 1, 'Ada writing as me', NOW, 'Me', ada), // our own author: would show as "You"
      await entry(bob, 2, 'Bob, next id guessed', NOW, 'Bob', ada), // a predictable next id
      await entry(ada, 2, 'far future', NOW + 24 * 60 * 60_000), // future date, signed by Ada herself
    ];
    // And Cy's entry under a key that is not Cy's (the author table lies about Cy's key).
    const lyingAuthors = [self, ada, bob].map((author) => author.record).concat({ ...cy.record, key: ada.record.key });
    const forgedCy = await entry(cy, 1, 'Cy with Ada’s key', NOW, 'Cy', ada);
    for (const message of [...history(forgeries), ...history([forgedCy], lyingAuthors)]) {
      expect(await conversation.receive(ADA_ID(), message!)).toBe(false);
    }
    expect(conversation.messages).toEqual([]);
    expect(added).toEqual([]);
    expect(port.sent.filter((sent) => sent.message.type === 'ack')).toEqual([]);
    expect(refused.map((refusal) => refusal.reason)).toEqual(['forged', 'forged', 'forged', 'future', 'forged']);
    // Bob's real message with the id Ada tried to take still goes in.
    expect(await conversation.receive(bob.identity.peerId, await chat(bob, 2, 'the real Bob #2'))).toBe(true);
    expect(conversation.messages.map((message) => message.text)).toEqual(['the real Bob #2']);
    expect(cyId).not.toBe(ADA_ID());
  });

  it('takes history only right after a link is proven, and no more than one transcript of it', async () => {
    const one = history([await entry(ada, 1, 'unasked')]);
    expect(await conversation.receive(ADA_ID(), one[0]!)).toBe(false);
    await conversation.linkProven(ADA_ID());
    const full = history(await Promise.all(Array.from({ length: HISTORY_LIMIT }, (_, index) => entry(ada, index + 10, `ada ${index}`, NOW - 1000 + index))));
    for (const frame of full) expect(await conversation.receive(ADA_ID(), frame!)).toBe(true);
    expect(conversation.messages).toHaveLength(HISTORY_LIMIT);
    // One entry more than a transcript is refused, and so is everything after it.
    expect(await conversation.receive(ADA_ID(), history([await entry(ada, 500, 'one too many')])[0]!)).toBe(false);
    expect(await conversation.receive(ADA_ID(), history([await entry(ada, 501, 'and another')])[0]!)).toBe(false);
    expect(conversation.messages).toHaveLength(HISTORY_LIMIT);
    expect(refused.map((refusal) => refusal.reason)).toEqual(['unasked-history', 'unasked-history', 'unasked-history']);
  });

  it(`closes the history window ${HISTORY_WINDOW_MS / 1000} s after the proof`, async () => {
    await conversation.linkProven(ADA_ID());
    vi.setSystemTime(NOW + HISTORY_WINDOW_MS + 1);
    expect(await conversation.receive(ADA_ID(), history([await entry(ada, 1, 'late', NOW)])[0]!)).toBe(false);
    expect(refused).toEqual([{ from: ADA_ID(), reason: 'unasked-history' }]);
  });

  it('counts a peer that sends back one of our messages, signed by us, as having it', async () => {
    const message = conversation.send('hello', 'Me', [ADA_ID()]);
    await eventually(() => conversation.messages[0]?.signature !== undefined);
    await conversation.linkProven(ADA_ID());
    const [frame] = history([{ id: message.id, text: 'hello', sentAt: message.sentAt, name: 'Me', sig: conversation.messages[0]!.signature! }]);
    await conversation.receive(ADA_ID(), frame!);
    expect(conversation.deliveryOf(message.id)?.delivered).toBe(1);
  });
});

describe('receipts over time', () => {
  it('stops counting a recipient that left, once the sweep runs past its grace', () => {
    conversation.start();
    let receipts = 0;
    conversation.on('receipts', () => (receipts += 1));
    port.unreachable.add(ada.identity.peerId);
    const message = conversation.send('hello', 'Me', [ada.identity.peerId, bob.identity.peerId]);
    conversation.peerLeft(ada.identity.peerId);
    vi.advanceTimersByTime(60_000);
    expect(conversation.deliveryOf(message.id)).toEqual({ delivered: 0, total: 1, undeliverable: [] });
    expect(receipts).toBeGreaterThan(0);
  });
});

describe('sending order', () => {
  it('sends messages in the order they were written, whichever signature is ready first', async () => {
    const directory = new AuthorDirectory(roomId, self.identity);
    // The first message's signature takes longest.
    const slowFirst: MessageAuthority = {
      sign: async (fields) => {
        if (fields.id.endsWith(':1')) await new Promise((resolve) => setTimeout(resolve, 30));
        return directory.sign(fields);
      },
      verify: (...args) => directory.verify(...args),
      signAct: (fields) => directory.signAct(fields),
      verifyAct: (...args) => directory.verifyAct(...args),
      learn: (author) => directory.learn(author),
      recordOf: (id) => directory.recordOf(id),
    };
    let seq = 0;
    const ordered = new Conversation({ selfId: self.identity.peerId, nextSequence: () => (seq += 1), peers: port, authority: slowFirst, maxMessages: 100 });
    for (let index = 1; index <= 5; index += 1) ordered.send(`message ${index}`, 'Me', [ada.identity.peerId]);
    await eventually(() => port.to(ada.identity.peerId).length === 5);
    expect(port.to(ada.identity.peerId).map((message) => (message.type === 'chat' ? message.text : ''))).toEqual(
      Array.from({ length: 5 }, (_, index) => `message ${index + 1}`),
    );
    ordered.stop();
  });
});
