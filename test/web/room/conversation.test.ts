// The conversation on its own: a fake peer port records the frames it sends, fake timers give it
// the time. What a member may and may not make it believe is tested here (the ids it accepts, the
// clock it follows); the Node room test covers the same parts over real connections.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Conversation, ChatSendError, type ChatMessage } from '../../../web/room/conversation.js';
import { MAX_CLOCK_LEAD_MS } from '../../../web/room/hybrid-clock.js';
import { decodePeerMessage, encodeHistoryFrames, HISTORY_LIMIT, type HistoryEntry, type PeerMessage } from '../../../protocol/peer.js';
import { messageId } from '../../../protocol/ids.js';

const SELF = 's'.repeat(22);
const ADA = 'a'.repeat(22);
const BOB = 'b'.repeat(22);
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

/** The frames sent to each peer, decoded; peers in `unreachable` have no open link. */
class RecordingPort {
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
}

let port: RecordingPort;
let conversation: Conversation;
let sequence: number;
let added: ChatMessage[];

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
  port = new RecordingPort();
  sequence = 0;
  conversation = new Conversation({ selfId: SELF, nextSequence: () => (sequence += 1), peers: port, maxMessages: 1000 });
  added = [];
  conversation.on('message', (message) => added.push(message));
});

afterEach(() => {
  conversation.stop();
  vi.useRealTimers();
});

const chat = (author: string, seq: number, text: string, sentAt = NOW, name = 'Someone') =>
  ({ type: 'chat', id: messageId(author, seq), text, sentAt, name }) as const;

describe('sending', () => {
  it('logs the message, sends it to each recipient and tracks their receipts', () => {
    const message = conversation.send('hello', 'Me', [ADA, BOB]);
    expect(message).toMatchObject({ id: `${SELF}:1`, authorId: SELF, authorName: 'Me', text: 'hello', sentAt: NOW, own: true });
    expect(port.to(ADA)).toEqual([{ type: 'chat', id: message.id, text: 'hello', sentAt: NOW, name: 'Me' }]);
    expect(port.to(BOB)).toHaveLength(1);
    expect(conversation.deliveryOf(message.id)).toEqual({ delivered: 0, total: 2, undeliverable: [] });
    conversation.receive(ADA, 'Ada', { type: 'ack', ids: [message.id] });
    expect(conversation.deliveryOf(message.id)).toEqual({ delivered: 1, total: 2, undeliverable: [] });
  });

  it('refuses empty and over-long texts, and logs nothing', () => {
    expect(() => conversation.send(' \n\t', 'Me', [ADA])).toThrow(ChatSendError);
    expect(() => conversation.send('x'.repeat(16_001), 'Me', [ADA])).toThrow(/16,000 characters; this one has 16,001/);
    expect(conversation.messages).toEqual([]);
    expect(port.sent).toEqual([]);
  });
});

describe('what a member can make it believe', () => {
  it('refuses a live message that claims another author', () => {
    expect(conversation.receive(ADA, 'Ada', chat(BOB, 1, 'Ada pretending to be Bob'))).toBe(false);
    expect(conversation.receive(ADA, 'Ada', chat(SELF, 5, 'Ada pretending to be me'))).toBe(false);
    expect(conversation.messages).toEqual([]);
    expect(port.sent).toEqual([]);
  });

  it("shows a live message under the name the server knows the sender by, and acks it (duplicates too)", () => {
    expect(conversation.receive(ADA, 'Ada', chat(ADA, 1, 'hi', NOW, 'Not Ada'))).toBe(true);
    expect(conversation.messages).toEqual([{ id: `${ADA}:1`, authorId: ADA, authorName: 'Ada', text: 'hi', sentAt: NOW, own: false }]);
    conversation.receive(ADA, 'Ada', chat(ADA, 1, 'hi'));
    expect(conversation.messages).toHaveLength(1);
    expect(added).toHaveLength(1);
    expect(port.to(ADA)).toEqual([
      { type: 'ack', ids: [`${ADA}:1`] },
      { type: 'ack', ids: [`${ADA}:1`] },
    ]);
  });
});

describe('the hybrid clock', () => {
  it('stamps a reply later than the message it answers, even one from a clock a little ahead', () => {
    const ahead = NOW + 60_000;
    conversation.receive(ADA, 'Ada', chat(ADA, 1, 'from a clock a minute fast', ahead));
    const reply = conversation.send('reply', 'Me', [ADA]);
    expect(reply.sentAt).toBe(ahead + 1);
    expect(conversation.messages.map((message) => message.text)).toEqual(['from a clock a minute fast', 'reply']);
  });

  it('stamps messages sent within one millisecond in the order they were sent', () => {
    const first = conversation.send('one', 'Me', []);
    const second = conversation.send('two', 'Me', []);
    expect(second.sentAt).toBeGreaterThan(first.sentAt);
  });

  it(`does not follow a time more than ${MAX_CLOCK_LEAD_MS / 60_000} minutes ahead (a wrong or hostile clock)`, () => {
    conversation.receive(ADA, 'Ada', chat(ADA, 1, 'from the far future', NOW + MAX_CLOCK_LEAD_MS + 1));
    expect(conversation.send('now', 'Me', []).sentAt).toBe(NOW);
  });
});

describe('history', () => {
  const entry = (author: string, seq: number, text: string, sentAt: number): HistoryEntry => ({ id: messageId(author, seq), text, sentAt, name: `name of ${author[0]}` });

  it(`catches a peer up with the last ${HISTORY_LIMIT} messages and what its outbox still holds`, () => {
    port.unreachable.add(ADA);
    const missed = conversation.send('sent while Ada was away', 'Me', [ADA]);
    for (let seq = 1; seq <= HISTORY_LIMIT + 50; seq += 1) conversation.receive(BOB, 'Bob', chat(BOB, seq, `bob ${seq}`, NOW + seq));
    port.unreachable.delete(ADA);
    conversation.linkOpened(ADA);
    const history = port.to(ADA).flatMap((message) => (message.type === 'history' ? message.messages : []));
    expect(history).toHaveLength(HISTORY_LIMIT + 1);
    expect(history[0]?.id).toBe(missed.id);
    expect(history.at(-1)?.text).toBe(`bob ${HISTORY_LIMIT + 50}`);
    expect(history[1]?.text).toBe('bob 51');
  });

  it('merges history by id, takes back its own messages from before a reload, and acks each author it can reach', () => {
    conversation.receive(ADA, 'Ada', chat(ADA, 1, 'already here', NOW - 3));
    const [frame] = encodeHistoryFrames([entry(ADA, 1, 'already here', NOW - 3), entry(SELF, 1, 'mine, before my reload', NOW - 2), entry(BOB, 7, 'from Bob', NOW - 1)]);
    const history = decodePeerMessage(frame);
    if (history?.type !== 'history') throw new Error('not a history frame');
    conversation.receive(ADA, 'Ada', history);
    expect(conversation.messages.map((message) => [message.text, message.own])).toEqual([
      ['already here', false],
      ['mine, before my reload', true],
      ['from Bob', false],
    ]);
    expect(port.to(ADA)).toContainEqual({ type: 'ack', ids: [`${ADA}:1`] });
    expect(port.to(BOB)).toEqual([{ type: 'ack', ids: [`${BOB}:7`] }]);
  });

  it('counts a peer that sends back one of our messages as having it', () => {
    const message = conversation.send('hello', 'Me', [ADA]);
    conversation.receive(ADA, 'Ada', { type: 'history', messages: [entry(SELF, 1, 'hello', message.sentAt)] });
    expect(conversation.deliveryOf(message.id)?.delivered).toBe(1);
  });
});

describe('receipts over time', () => {
  it('stops counting a recipient that left, once the sweep runs past its grace', () => {
    conversation.start();
    let receipts = 0;
    conversation.on('receipts', () => (receipts += 1));
    port.unreachable.add(ADA);
    const message = conversation.send('hello', 'Me', [ADA, BOB]);
    conversation.peerLeft(ADA);
    vi.advanceTimersByTime(60_000);
    expect(conversation.deliveryOf(message.id)).toEqual({ delivered: 0, total: 1, undeliverable: [] });
    expect(receipts).toBeGreaterThan(0);
  });
});
