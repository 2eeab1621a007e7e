// Replies, edits, deletions and reactions in the conversation: real signing keys, a recording port.
// What a member may not make the others believe is tested here too; each attack says what the
// member tries.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Conversation, ChatSendError, type ChatMessage, type RefusalReason } from '../../../web/room/conversation.js';
import { AuthorDirectory } from '../../../web/room/author-directory.js';
import { createRoomKey, deriveRoomKeys } from '../../../web/security/room-keys.js';
import { encodeHistoryFrames, decodePeerMessage, type Act, type HistoryAct, type HistoryEntry, type PeerMessage } from '../../../protocol/peer.js';
import { authorOf, messageId } from '../../../protocol/ids.js';
import { conversationOf, eventually, makeAuthor, RecordingPort, type Author } from '../../support/conversation-fixture.js';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

let roomId: string;
let self: Author;
let ada: Author;
let bob: Author;

beforeAll(async () => {
  roomId = (await deriveRoomKeys(createRoomKey())).roomId;
  [self, ada, bob] = await Promise.all([makeAuthor(roomId), makeAuthor(roomId), makeAuthor(roomId)]);
  // Ada checks what we send her: she has met us on a proven link.
  ada.directory.addProven(self.record, self.identity.keys.publicKey);
});

let port: RecordingPort;
let conversation: Conversation;
let updates: { message: ChatMessage; change: string }[];
let refused: { from: string; reason: RefusalReason }[];

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date', 'setInterval', 'clearInterval'] });
  port = new RecordingPort();
  conversation = conversationOf(roomId, self, [ada, bob], port);
  updates = [];
  refused = [];
  conversation.on('updated', (update) => updates.push(update));
  conversation.on('refused', (refusal) => refused.push(refusal));
});

afterEach(() => {
  conversation.stop();
  vi.useRealTimers();
});

const ADA_NAME = 'Ada';

async function chat(author: Author, seq: number, text: string) {
  const id = messageId(author.identity.peerId, seq);
  return { type: 'chat', id, text, sentAt: NOW, name: ADA_NAME, sig: await author.directory.sign({ id, text, sentAt: NOW, name: ADA_NAME }) } as const;
}

/** An act as `author` numbers it; signed by `signer` (someone else: a forgery). */
async function act(author: Author, seq: number, body: Act, signer: Author = author, sentAt = NOW + seq) {
  const id = messageId(author.identity.peerId, seq);
  const sig = await signer.directory.signAct({ id, sentAt, name: ADA_NAME, act: body });
  return { type: 'act', id, sentAt, name: ADA_NAME, sig, act: body } as const;
}

const withoutType = ({ type: _type, ...rest }: Awaited<ReturnType<typeof act>>): HistoryAct => rest;

function lastFrameTo(peerId: string): PeerMessage | undefined {
  return port.to(peerId).at(-1);
}

describe('replies', () => {
  it('logs a reply with the id it answers, sends it as a signed act, and the receiver acks it', async () => {
    const original = conversation.send('lunch?', 'Me', [ada.identity.peerId]);
    const reply = conversation.reply(original.id, 'at noon', 'Me', [ada.identity.peerId]);
    expect(reply).toMatchObject({ replyTo: original.id, text: 'at noon', own: true });
    await eventually(() => port.to(ada.identity.peerId).length === 2);
    const frame = lastFrameTo(ada.identity.peerId);
    expect(frame).toMatchObject({ type: 'act', id: reply.id, act: { kind: 'reply', to: original.id, text: 'at noon' } });
    if (frame?.type !== 'act') throw new Error('no act');
    expect(await ada.directory.verifyAct(self.identity.peerId, frame, frame.sig)).toBe(true);

    const theirs = await act(ada, 1, { kind: 'reply', to: original.id, text: 'yes!' });
    expect(await conversation.receive(ada.identity.peerId, theirs)).toBe(true);
    expect(conversation.messageById(theirs.id)).toMatchObject({ replyTo: original.id, text: 'yes!', own: false });
    expect(port.acksTo(ada.identity.peerId)).toContain(theirs.id);
  });

  it('refuses to reply to a message that is not in the log', () => {
    expect(() => conversation.reply(messageId(ada.identity.peerId, 9), 'hm', 'Me', [])).toThrow(ChatSendError);
  });
});

describe('edits and deletions', () => {
  it('edits one of ours for everyone; the latest edit wins on every side whatever order they arrive in', async () => {
    const message = conversation.send('see you at 5', 'Me', [ada.identity.peerId]);
    await conversation.edit(message.id, 'see you at 6', 'Me', [ada.identity.peerId]);
    expect(conversation.messageById(message.id)).toMatchObject({ text: 'see you at 6', editedAt: expect.any(Number) });
    expect(updates.map((update) => update.change)).toEqual(['edited']);
    expect(lastFrameTo(ada.identity.peerId)).toMatchObject({ type: 'act', act: { kind: 'edit', to: message.id, text: 'see you at 6' } });

    // Ada's two edits arrive newest first: the older one changes nothing.
    const hers = await chat(ada, 1, 'v1');
    await conversation.receive(ada.identity.peerId, hers);
    const second = await act(ada, 3, { kind: 'edit', to: hers.id, text: 'v3' });
    const first = await act(ada, 2, { kind: 'edit', to: hers.id, text: 'v2' });
    await conversation.receive(ada.identity.peerId, second);
    await conversation.receive(ada.identity.peerId, first);
    expect(conversation.messageById(hers.id)?.text).toBe('v3');
  });

  it('deletes one of ours for everyone: the text is gone, the deletion is final', async () => {
    const message = conversation.send('oops, wrong room', 'Me', [ada.identity.peerId]);
    await conversation.delete(message.id, 'Me', [ada.identity.peerId]);
    expect(conversation.messageById(message.id)).toMatchObject({ deleted: true, text: '' });
    expect(lastFrameTo(ada.identity.peerId)).toMatchObject({ type: 'act', act: { kind: 'delete', to: message.id } });
    await expect(conversation.edit(message.id, 'back', 'Me', [])).rejects.toThrow(ChatSendError);
    expect(() => conversation.reply(message.id, 'what?', 'Me', [])).toThrow(ChatSendError);
  });

  it('only edits and deletes our own messages', async () => {
    const hers = await chat(ada, 1, 'hello');
    await conversation.receive(ada.identity.peerId, hers);
    await expect(conversation.edit(hers.id, 'changed', 'Me', [])).rejects.toThrow(ChatSendError);
    await expect(conversation.delete(hers.id, 'Me', [])).rejects.toThrow(ChatSendError);
  });

  it('takes an edit that arrives before its message, and applies it when the message comes', async () => {
    const hers = await chat(ada, 1, 'first draft');
    await conversation.receive(ada.identity.peerId, await act(ada, 2, { kind: 'edit', to: hers.id, text: 'final' }));
    await conversation.receive(ada.identity.peerId, hers);
    expect(conversation.messageById(hers.id)).toMatchObject({ text: 'final' });
  });
});

describe('reactions', () => {
  it('toggles our reaction, and counts who reacted with what', async () => {
    const hers = await chat(ada, 1, 'we shipped');
    await conversation.receive(ada.identity.peerId, hers);
    expect(await conversation.react(hers.id, '🎉', 'Me', [ada.identity.peerId])).toBe(true);
    await conversation.receive(bob.identity.peerId, await act(bob, 1, { kind: 'react', to: hers.id, emoji: '🎉', on: true }));
    await conversation.receive(bob.identity.peerId, await act(bob, 2, { kind: 'react', to: hers.id, emoji: '👍', on: true }));
    expect(conversation.messageById(hers.id)?.reactions).toEqual([
      { emoji: '🎉', by: [self.identity.peerId, bob.identity.peerId] },
      { emoji: '👍', by: [bob.identity.peerId] },
    ]);
    expect(await conversation.react(hers.id, '🎉', 'Me', [ada.identity.peerId])).toBe(false);
    await conversation.receive(bob.identity.peerId, await act(bob, 3, { kind: 'react', to: hers.id, emoji: '👍', on: false }));
    expect(conversation.messageById(hers.id)?.reactions).toEqual([{ emoji: '🎉', by: [bob.identity.peerId] }]);
    expect(lastFrameTo(ada.identity.peerId)).toMatchObject({ type: 'act', act: { kind: 'react', emoji: '🎉', on: false } });
  });

  it('refuses a reaction that is not one emoji', async () => {
    const message = conversation.send('hi', 'Me', []);
    await expect(conversation.react(message.id, 'LOL', 'Me', [])).rejects.toThrow(ChatSendError);
    // The protocol refuses it as well: a member's "reaction" that is a sentence never decodes.
    const frame = JSON.stringify({ v: 4, ...(await act(ada, 1, { kind: 'react', to: message.id, emoji: '👍', on: true })), act: { kind: 'react', to: message.id, emoji: 'click here', on: true } });
    expect(decodePeerMessage(frame)).toBeUndefined();
  });
});

describe('what a member cannot do', () => {
  it('Mallory (Bob) cannot edit or delete Ada’s message, even signing the act herself', async () => {
    const hers = await chat(ada, 1, 'the meeting is at 3');
    await conversation.receive(ada.identity.peerId, hers);
    // Bob signs an edit of Ada's message with his own key, numbered as his own act.
    expect(await conversation.receive(bob.identity.peerId, await act(bob, 1, { kind: 'edit', to: hers.id, text: 'the meeting is cancelled' }))).toBe(false);
    expect(await conversation.receive(bob.identity.peerId, await act(bob, 2, { kind: 'delete', to: hers.id }))).toBe(false);
    expect(conversation.messageById(hers.id)).toMatchObject({ text: 'the meeting is at 3' });
    expect(conversation.messageById(hers.id)?.deleted).toBeUndefined();
    expect(refused).toEqual([
      { from: bob.identity.peerId, reason: 'forged' },
      { from: bob.identity.peerId, reason: 'forged' },
    ]);
  });

  it('Bob cannot pass off an edit as Ada’s: numbered as hers, signed by him, or sent on his own link', async () => {
    const hers = await chat(ada, 1, 'pay 10');
    await conversation.receive(ada.identity.peerId, hers);
    // Numbered as Ada's act, signed with Bob's key.
    expect(await conversation.receive(ada.identity.peerId, await act(ada, 2, { kind: 'edit', to: hers.id, text: 'pay 1000' }, bob))).toBe(false);
    // Ada's genuine edit, relayed live by Bob as if it were his to send.
    const genuine = await act(ada, 3, { kind: 'edit', to: hers.id, text: 'pay 12' });
    expect(await conversation.receive(bob.identity.peerId, genuine)).toBe(false);
    // Ada's genuine act with its text changed on the way.
    expect(await conversation.receive(ada.identity.peerId, { ...genuine, act: { kind: 'edit', to: hers.id, text: 'pay 1200' } })).toBe(false);
    expect(conversation.messageById(hers.id)?.text).toBe('pay 10');
    expect(refused.map((refusal) => refusal.reason)).toEqual(['forged', 'forged', 'forged']);
  });

  it('Bob cannot react in Ada’s name, nor take back her reaction', async () => {
    const message = conversation.send('vote: pizza?', 'Me', []);
    await conversation.receive(ada.identity.peerId, await act(ada, 1, { kind: 'react', to: message.id, emoji: '👍', on: true }));
    // Numbered as Ada's next act, signed by Bob: "Ada takes her 👍 back".
    expect(await conversation.receive(ada.identity.peerId, await act(ada, 2, { kind: 'react', to: message.id, emoji: '👍', on: false }, bob))).toBe(false);
    expect(conversation.messageById(message.id)?.reactions).toEqual([{ emoji: '👍', by: [ada.identity.peerId] }]);
  });
});

describe('history', () => {
  it('passes on edits, deletions and reactions with the messages they are about, and never a deleted text', async () => {
    const kept = conversation.send('original', 'Me', []);
    const gone = conversation.send('secret I regret', 'Me', []);
    const reply = conversation.reply(kept.id, 'and a reply', 'Me', []);
    await conversation.edit(kept.id, 'edited', 'Me', []);
    await conversation.delete(gone.id, 'Me', []);
    await conversation.react(kept.id, '❤️', 'Me', []);
    await conversation.linkProven(ada.identity.peerId);
    const history = port.to(ada.identity.peerId).filter((message) => message.type === 'history');
    const entries = history.flatMap((frame) => (frame.type === 'history' ? frame.messages : []));
    const acts = history.flatMap((frame) => (frame.type === 'history' ? (frame.acts ?? []) : []));
    // The original text and its signature go with the edit, so anyone can check both.
    expect(entries.map((entry) => entry.text)).toEqual(['original']);
    expect(JSON.stringify(history)).not.toContain('secret I regret');
    expect(acts.map((item) => item.act.kind).sort()).toEqual(['delete', 'edit', 'react', 'reply']);
    expect(acts.find((item) => item.id === reply.id)?.act).toEqual({ kind: 'reply', to: kept.id, text: 'and a reply' } satisfies Act);

    // A page that receives this history ends where we are.
    const directory = new AuthorDirectory(roomId, ada.identity);
    const theirs = new Conversation({ selfId: ada.identity.peerId, nextSequence: () => 1, peers: new RecordingPort(), authority: directory, maxMessages: 1000 });
    await theirs.linkProven(self.identity.peerId);
    for (const frame of history) if (frame.type === 'history') await theirs.receive(self.identity.peerId, frame);
    expect(theirs.messages.map((message) => [message.text, message.editedAt !== undefined, message.deleted ?? false, message.replyTo ?? null])).toEqual([
      ['edited', true, false, null],
      ['and a reply', false, false, kept.id],
    ]);
    expect(theirs.messageById(kept.id)?.reactions).toEqual([{ emoji: '❤️', by: [self.identity.peerId] }]);
    theirs.stop();
  });

  it('refuses a forged act in history and keeps the honest ones', async () => {
    const hers = await chat(ada, 1, 'fine');
    const entry: HistoryEntry = { id: hers.id, text: hers.text, sentAt: hers.sentAt, name: hers.name, sig: hers.sig };
    const honest = withoutType(await act(ada, 2, { kind: 'react', to: hers.id, emoji: '👍', on: true }));
    // Bob's history claims Ada edited her message: numbered as hers, signed by him.
    const forged = withoutType(await act(ada, 3, { kind: 'edit', to: hers.id, text: 'not fine' }, bob));
    await conversation.linkProven(bob.identity.peerId);
    const [frame] = encodeHistoryFrames([entry], [honest, forged], (id) => (authorOf(id) === ada.identity.peerId ? ada.record : bob.record));
    const decoded = decodePeerMessage(frame!);
    if (decoded?.type !== 'history') throw new Error('not history');
    expect(await conversation.receive(bob.identity.peerId, decoded)).toBe(false);
    expect(conversation.messageById(hers.id)).toMatchObject({ text: 'fine', reactions: [{ emoji: '👍', by: [ada.identity.peerId] }] });
    expect(refused).toEqual([{ from: bob.identity.peerId, reason: 'forged' }]);
  });
});
