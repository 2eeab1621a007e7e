// A member who holds the room key and has proven herself, and then lies: Mallory (a ForgingMember,
// test/support/forging-member.ts) against two honest headless rooms, Ada and Bob, over a real
// signaling server and real WebRTC in Node. conversation.test.ts tries the same lies against the
// conversation alone; here they cross real connections into real rooms, and what the rooms show,
// ack, count and report is checked. Each case says what Mallory tries.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RTCPeerConnection as NodePeerConnection } from 'webrtc-polyfill';
import { ParleyRoom, type RefusalReason, type SecurityEvent } from '../../../web/room/room.js';
import { createRoomKey } from '../../../web/security/room-keys.js';
import { ephemeralIdentity } from '../../../web/room/session-identity.js';
import { messageId } from '../../../protocol/ids.js';
import { encodeHistoryFrames, HISTORY_LIMIT, type HistoryEntry } from '../../../protocol/peer.js';
import { startServer, type RunningServer } from '../../support/server.js';
import { ForgingMember, type ForgingMemberOptions } from '../../support/forging-member.js';
import { linkTap, type LinkTap } from '../../support/link-tap.js';
import { allConnected, sleep, until, untilRoom } from '../../support/room-waits.js';

let server: RunningServer;
let rooms: ParleyRoom[] = [];
let members: ForgingMember[] = [];

// node-datachannel (behind simple-peer in Node) stops its threads whenever its last connection
// closes, which can stall the event loop for seconds; one idle connection for the whole file
// keeps that from happening (as in room.test.ts).
let anchor: NodePeerConnection;
beforeAll(async () => {
  anchor = new NodePeerConnection();
  server = await startServer({ roomCapacity: 8 });
});
afterAll(async () => {
  await server.close();
  anchor.close();
});

afterEach(() => {
  for (const room of rooms.splice(0)) room.close();
  for (const member of members.splice(0)) member.close();
});

interface Honest {
  room: ParleyRoom;
  tap: LinkTap;
  security: SecurityEvent[];
}

function openRoom(name: string, roomKey: string): Honest {
  const tap = linkTap();
  const room = new ParleyRoom({
    roomKey,
    name,
    identity: ephemeralIdentity(),
    signalingUrl: server.signalUrl,
    WebSocketImpl: WebSocket as unknown as new (url: string) => globalThis.WebSocket,
    createLink: tap.createLink,
  });
  const security: SecurityEvent[] = [];
  room.on('security', (event) => security.push(event));
  rooms.push(room);
  room.start();
  return { room, tap, security };
}

async function joinForger(options: Omit<ForgingMemberOptions, 'signalUrl'>): Promise<ForgingMember> {
  const member = await ForgingMember.join({ signalUrl: server.signalUrl, ...options });
  members.push(member);
  return member;
}

/**
 * Ada and Bob connected to each other, then Mallory joins; both offer to her (members offer to a
 * newcomer), and the case goes on once both have accepted her proof and learnt her name.
 */
async function adaBobAndMallory(mallory: Omit<ForgingMemberOptions, 'signalUrl' | 'roomKey'> = {}) {
  const roomKey = createRoomKey();
  const ada = openRoom('Ada', roomKey);
  await untilRoom(ada.room, () => ada.room.status.phase === 'joined');
  const bob = openRoom('Bob', roomKey);
  await untilRoom(bob.room, allConnected(bob.room, 1));
  await untilRoom(ada.room, allConnected(ada.room, 1));
  const forger = await joinForger({ roomKey, ...mallory });
  return { roomKey, ada, bob, mallory: forger };
}

/** Both honest rooms have proven Mallory and show her by name. */
async function malloryAccepted(mallory: ForgingMember, ...honest: Honest[]): Promise<void> {
  for (const { room } of honest) {
    await mallory.whenAcceptedBy(room.selfId);
    await untilRoom(room, () => room.participants.find((peer) => peer.id === mallory.id)?.name === 'Mallory');
  }
}

const texts = (room: ParleyRoom): string[] => room.messages.map((message) => message.text);
const refusals = (events: readonly SecurityEvent[]): SecurityEvent[] => events.filter((event) => event.kind === 'message-refused');
const refused = (peerId: string, reason: RefusalReason, count: number): SecurityEvent[] =>
  Array.from({ length: count }, (): SecurityEvent => ({ kind: 'message-refused', peerId, reason }));

/** None of `ids` was acked by anyone the taps and Mallory can see. */
function expectNoAcks(ids: readonly string[], mallory: ForgingMember, ...honest: Honest[]): void {
  for (const { room, tap } of honest) {
    expect(tap.acksSent().filter((id) => ids.includes(id))).toEqual([]);
    expect(tap.acksReceived().filter((id) => ids.includes(id))).toEqual([]);
    expect(mallory.acksFrom(room.selfId).filter((id) => ids.includes(id))).toEqual([]);
  }
}

describe('a proven member forging messages (Node peers)', () => {
  it("cannot pass history off as another member's (Ada's id, her own signature)", async () => {
    const { ada, bob, mallory } = await adaBobAndMallory();
    await malloryAccepted(mallory, ada, bob);
    // Mallory tries: entries under Ada's id and name, signed with her own key, sent to Bob as
    // history: once listing Ada's id with her own key and commit as the author, once listing
    // only herself (Bob should fall back to the key he knows for Ada).
    const withBorrowedId = await mallory.entry({ id: messageId(ada.room.selfId, 41), text: 'forged as Ada: the meeting is cancelled', name: 'Ada' });
    const withOwnRecord = await mallory.entry({ id: messageId(ada.room.selfId, 42), text: 'forged as Ada: send me the minutes', name: 'Ada' });
    mallory.sendHistory(bob.room.selfId, [withBorrowedId], [{ ...mallory.record, id: ada.room.selfId }]);
    mallory.sendHistory(bob.room.selfId, [withOwnRecord]);
    const barrier = await mallory.sync(bob.room.selfId);

    expect(texts(bob.room)).toEqual([barrier.text]);
    expect(bob.room.refusedMessages).toBe(2);
    // Reported as Mallory's doing, not Ada's.
    expect(refusals(bob.security)).toEqual(refused(mallory.id, 'forged', 2));
    expectNoAcks([withBorrowedId.id, withOwnRecord.id], mallory, ada, bob);
    expect(ada.room.deliveryOf(withBorrowedId.id)).toBeUndefined();
  });

  it('cannot make the receiver show forged messages as its own ("You")', async () => {
    const { ada, bob, mallory } = await adaBobAndMallory();
    await malloryAccepted(mallory, ada, bob);
    // Mallory tries: entries under Bob's own id, sent to Bob, as history (listing Bob's id with
    // her key) and as a live chat. Signed by her; Bob would show them as "You".
    const asHistory = await mallory.entry({ id: messageId(bob.room.selfId, 1), text: 'forged as Bob: I agree to everything', name: 'Bob' });
    const asChat = await mallory.entry({ id: messageId(bob.room.selfId, 2), text: 'forged as Bob: me too', name: 'Bob' });
    mallory.sendHistory(bob.room.selfId, [asHistory], [{ ...mallory.record, id: bob.room.selfId }]);
    mallory.sendChat(bob.room.selfId, asChat);
    const barrier = await mallory.sync(bob.room.selfId);

    expect(texts(bob.room)).toEqual([barrier.text]);
    expect(bob.room.messages.filter((message) => message.own)).toEqual([]);
    expect(bob.room.refusedMessages).toBe(2);
    expect(refusals(bob.security)).toEqual(refused(mallory.id, 'forged', 2));
    expectNoAcks([asHistory.id, asChat.id], mallory, ada, bob);
    // Bob's own first message takes the id Mallory tried, and is his.
    const own = bob.room.send('my real first message');
    expect(own.id).toBe(asHistory.id);
    expect(bob.room.messages.filter((message) => message.own).map((message) => message.text)).toEqual(['my real first message']);
  });

  it("cannot take Ada's next message id before Ada uses it", async () => {
    const { ada, bob, mallory } = await adaBobAndMallory();
    await malloryAccepted(mallory, ada, bob);
    // Mallory tries: Ada has sent nothing yet, so her next ids are <Ada>:1 and <Ada>:2. Mallory
    // sends "them" to Bob first, one as a live chat and one as history, hoping Bob keeps hers and
    // drops Ada's real ones as duplicates.
    const firstId = messageId(ada.room.selfId, 1);
    const secondId = messageId(ada.room.selfId, 2);
    mallory.sendChat(bob.room.selfId, await mallory.entry({ id: firstId, text: 'squatted: first', name: 'Ada' }));
    mallory.sendHistory(bob.room.selfId, [await mallory.entry({ id: secondId, text: 'squatted: second', name: 'Ada' })], [{ ...mallory.record, id: ada.room.selfId }]);
    await mallory.sync(bob.room.selfId);
    expect(bob.room.refusedMessages).toBe(2);
    expect(refusals(bob.security)).toEqual(refused(mallory.id, 'forged', 2));
    expectNoAcks([firstId, secondId], mallory, ada, bob);

    // Ada's real messages with those ids arrive, are shown, and are acked by Bob.
    const first = ada.room.send('the real first');
    const second = ada.room.send('the real second');
    expect([first.id, second.id]).toEqual([firstId, secondId]);
    // Both, in either order: each frame goes out when its signature is made, and WebCrypto may
    // finish the second signature first.
    await untilRoom(bob.room, () => texts(bob.room).includes('the real first') && texts(bob.room).includes('the real second'));
    expect(bob.room.messages.filter((message) => message.authorId === ada.room.selfId).map((message) => [message.id, message.text])).toEqual([
      [firstId, 'the real first'],
      [secondId, 'the real second'],
    ]);
    // Mallory never acks: every ack Ada counts here is Bob's.
    await untilRoom(ada.room, () => ada.room.deliveryOf(secondId)?.delivered === 1 && ada.room.deliveryOf(firstId)?.delivered === 1);
    expect(bob.tap.acksSent()).toEqual(expect.arrayContaining([firstId, secondId]));
    expect(texts(bob.room).filter((text) => text.startsWith('squatted'))).toEqual([]);
  });

  it('cannot date messages in the far future, even signed as herself', async () => {
    const { ada, bob, mallory } = await adaBobAndMallory();
    await malloryAccepted(mallory, ada, bob);
    // Mallory tries: her own messages, validly signed, dated a year ahead, so they would sort
    // below everything anyone writes for a year (and drag the hybrid clocks forward).
    const yearAhead = Date.now() + 365 * 24 * 60 * 60 * 1000;
    const live = await mallory.entry({ text: 'from the future, live', sentAt: yearAhead });
    const inHistory = await mallory.entry({ text: 'from the future, in history', sentAt: yearAhead });
    mallory.sendChat(bob.room.selfId, live);
    mallory.sendHistory(bob.room.selfId, [inHistory]);
    const barrier = await mallory.sync(bob.room.selfId);

    expect(texts(bob.room)).toEqual([barrier.text]);
    expect(bob.room.refusedMessages).toBe(2);
    expect(refusals(bob.security)).toEqual(refused(mallory.id, 'future', 2));
    expectNoAcks([live.id, inHistory.id], mallory, ada, bob);
    // Bob's clock was not dragged along: his next message is dated now.
    expect(bob.room.send('still today').sentAt).toBeLessThan(Date.now() + 60_000);
  });

  it(`takes at most ${HISTORY_LIMIT} entries of a 1,000-entry transcript, and keeps showing Ada`, async () => {
    const { ada, bob, mallory } = await adaBobAndMallory();
    await malloryAccepted(mallory, ada, bob);
    for (const text of ['before the flood 1', 'before the flood 2', 'before the flood 3']) ada.room.send(text);
    await untilRoom(bob.room, () => bob.room.messages.length === 3);
    // Mallory tries: 1,000 of her own messages, validly signed and dated now, as history frames
    // (at most HISTORY_LIMIT entries each, as the protocol allows), to flood Bob's log.
    const now = Date.now();
    const entries: HistoryEntry[] = [];
    for (let index = 1; index <= 1000; index += 1) entries.push(await mallory.entry({ text: `flood ${index}`, sentAt: now }));
    const frames = encodeHistoryFrames(entries, [], () => mallory.record);
    expect(frames).toHaveLength(1000 / HISTORY_LIMIT);
    for (const frame of frames) mallory.send(bob.room.selfId, frame);
    const barrier = await mallory.sync(bob.room.selfId);

    const taken = bob.room.messages.filter((message) => message.text.startsWith('flood '));
    expect(taken).toHaveLength(HISTORY_LIMIT);
    expect(taken.map((message) => message.id)).toEqual(entries.slice(0, HISTORY_LIMIT).map((entry) => entry.id));
    // One refusal per frame past the allowance (the whole frame is refused, not entry by entry).
    expect(bob.room.refusedMessages).toBe(frames.length - 1);
    expect(refusals(bob.security)).toEqual(refused(mallory.id, 'unasked-history', frames.length - 1));
    // Bob acks to Mallory exactly what he took, and nothing of the rest.
    expect(new Set(mallory.acksFrom(bob.room.selfId))).toEqual(new Set([...taken.map((message) => message.id), barrier.id]));
    expectNoAcks(entries.slice(HISTORY_LIMIT).map((entry) => entry.id), mallory, ada, bob);

    // Ada is still there, before and after: nothing of hers was evicted, and new messages show.
    ada.room.send('after the flood');
    await untilRoom(bob.room, () => texts(bob.room).includes('after the flood'));
    expect(bob.room.messages.filter((message) => message.authorId === ada.room.selfId).map((message) => message.text)).toEqual([
      'before the flood 1',
      'before the flood 2',
      'before the flood 3',
      'after the flood',
    ]);
    expect(bob.room.messages).toHaveLength(3 + HISTORY_LIMIT + 1 + 1);
  });

  it('cannot send a second transcript once the history allowance is spent', async () => {
    const { ada, bob, mallory } = await adaBobAndMallory();
    await malloryAccepted(mallory, ada, bob);
    // Mallory tries: history again and again on one proven link (the 30 s window is too long to
    // wait for here; the allowance of HISTORY_LIMIT entries per link is what is spent instead).
    const first: HistoryEntry[] = [];
    for (let index = 1; index <= 150; index += 1) first.push(await mallory.entry({ text: `first transcript ${index}` }));
    const second: HistoryEntry[] = [];
    for (let index = 1; index <= 60; index += 1) second.push(await mallory.entry({ text: `second transcript ${index}` }));
    const third = [await mallory.entry({ text: 'third transcript 1' })];
    mallory.sendHistory(bob.room.selfId, first);
    // 60 more than the 50 left: refused whole, and the allowance is withdrawn.
    mallory.sendHistory(bob.room.selfId, second);
    // Even one entry is refused now.
    mallory.sendHistory(bob.room.selfId, third);
    await mallory.sync(bob.room.selfId);

    expect(texts(bob.room).filter((text) => text.startsWith('first transcript'))).toHaveLength(150);
    expect(texts(bob.room).filter((text) => /^(second|third) transcript/.test(text))).toEqual([]);
    expect(bob.room.refusedMessages).toBe(2);
    expect(refusals(bob.security)).toEqual(refused(mallory.id, 'unasked-history', 2));
    expectNoAcks([...second, ...third].map((entry) => entry.id), mallory, ada, bob);
  });

  it('cannot send anything before her proof: those frames are dropped', async () => {
    const { ada, bob, mallory } = await adaBobAndMallory({ holdProofs: true });
    await mallory.whenOpen(ada.room.selfId);
    await mallory.releaseProofWhenReady(ada.room.selfId);
    await mallory.whenOpen(bob.room.selfId);
    // Mallory tries: a transcript and a live chat of her own, validly signed, on the open channel
    // to Bob before she has proven anything (her proof is held back until after them).
    const early = await mallory.entry({ text: 'history before the proof' });
    const earlyChat = await mallory.entry({ text: 'chat before the proof' });
    expect(mallory.sendHistory(bob.room.selfId, [early])).toBe(true);
    expect(mallory.sendChat(bob.room.selfId, earlyChat)).toBe(true);
    await mallory.releaseProofWhenReady(bob.room.selfId);
    await malloryAccepted(mallory, ada, bob);
    await mallory.sync(bob.room.selfId);

    expect(texts(bob.room).filter((text) => text.includes('before the proof'))).toEqual([]);
    expect(bob.room.invalidPeerFrames).toBe(2);
    // Dropped as frames, not refused as messages: nothing was looked at.
    expect(bob.room.refusedMessages).toBe(0);
    expectNoAcks([early.id, earlyChat.id], mallory, ada, bob);

    // The same entries, now that the link is proven, are taken: they were refused for their timing only.
    mallory.sendHistory(bob.room.selfId, [early]);
    await mallory.sync(bob.room.selfId);
    expect(texts(bob.room)).toContain('history before the proof');
    expect(bob.room.invalidPeerFrames).toBe(2);
  });

  it('cannot change the text of a live chat after signing it', async () => {
    const { ada, bob, mallory } = await adaBobAndMallory();
    await malloryAccepted(mallory, ada, bob);
    // Mallory tries: "see you at 5 pm", signed, sent with its text changed to "6 pm"; then the
    // same in history.
    const signed = await mallory.entry({ text: 'see you at 6 pm' }, 'see you at 5 pm');
    const signedInHistory = await mallory.entry({ text: 'see you at 6 pm (history)' }, 'see you at 5 pm (history)');
    mallory.sendChat(bob.room.selfId, signed);
    mallory.sendHistory(bob.room.selfId, [signedInHistory]);
    await mallory.sync(bob.room.selfId);

    expect(texts(bob.room).filter((text) => text.startsWith('see you'))).toEqual([]);
    expect(bob.room.refusedMessages).toBe(2);
    expect(refusals(bob.security)).toEqual(refused(mallory.id, 'forged', 2));
    expectNoAcks([signed.id, signedInHistory.id], mallory, ada, bob);

    // The text she signed, with the same id and signature, is taken and acked: only the change was refused.
    mallory.sendChat(bob.room.selfId, { ...signed, text: 'see you at 5 pm' });
    await mallory.sync(bob.room.selfId);
    expect(texts(bob.room)).toContain('see you at 5 pm');
    expect(mallory.acksFrom(bob.room.selfId)).toContain(signed.id);
  });
});

describe('a member without the membership key (Node peers)', () => {
  it('is refused on its connection, disconnected, and not reconnected to when it offers again', async () => {
    const roomKey = createRoomKey();
    const ada = openRoom('Ada', roomKey);
    await untilRoom(ada.room, () => ada.room.status.phase === 'joined');
    // Trudy knows the room id and, to get as far as the proof, the seal key (so her connection
    // opens); her membership key is another room's. She tries to be taken for a member.
    const trudy = await joinForger({ roomKey, name: 'Trudy', membershipKeyFrom: createRoomKey() });
    await untilRoom(ada.room, () => ada.room.participants[0]?.proof === 'refused');

    expect(ada.room.participants).toMatchObject([{ id: trudy.id, name: '', proof: 'refused', problem: 'no-room-key', state: 'failed' }]);
    expect(ada.security).toEqual([{ kind: 'peer-refused', peerId: trudy.id, problem: 'no-room-key' }]);
    // Ada closed the connection.
    await until(() => trudy.closed.includes(ada.room.selfId), "Ada's side to close the connection");
    // Nothing crossed but Ada's own proof (if it was made before she refused Trudy's).
    expect(trudy.framesFrom(ada.room.selfId).filter((message) => message.type !== 'prove')).toEqual([]);

    // Trudy offers a new connection. Ada opens the sealed offer (it is well sealed) but ignores
    // it: no answer, no candidates, no offer of her own.
    const signalsBefore = trudy.signalsFrom(ada.room.selfId).length;
    trudy.offerTo(ada.room.selfId);
    // Nothing to wait on for "no answer": Ada answers an offer within tens of milliseconds here.
    await sleep(1500);
    expect(trudy.signalsFrom(ada.room.selfId)).toHaveLength(signalsBefore);
    expect(trudy.isOpen(ada.room.selfId)).toBe(false);
    expect(ada.room.refusedSignals).toBe(0);
    expect(ada.room.participants).toMatchObject([{ id: trudy.id, proof: 'refused', problem: 'no-room-key', state: 'failed' }]);
    expect(ada.security).toHaveLength(1);
  });
});
