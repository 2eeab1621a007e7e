// The headless room in Node: real signaling server, real WebRTC (simple-peer's Node backend),
// no browser. Proves the room logic apart from the element.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChatSendError, ParleyRoom, type ChatMessage, type RoomEvents } from '../../web/room.js';
import { MAX_CHAT_TEXT_LENGTH } from '../../web/peer-protocol.js';
import { startServer, type RunningServer } from '../support/server.js';

let server: RunningServer;
const rooms: ParleyRoom[] = [];

function openRoom(name: string, roomKey = 'node-test-room-key-0123456789'): ParleyRoom {
  const room = new ParleyRoom({
    roomKey,
    name,
    signalingUrl: server.signalUrl,
    WebSocketImpl: WebSocket as unknown as new (url: string) => globalThis.WebSocket,
  });
  rooms.push(room);
  room.start();
  return room;
}

function once<K extends keyof RoomEvents>(room: ParleyRoom, type: K, predicate: (payload: RoomEvents[K]) => boolean = () => true, timeoutMs = 10_000): Promise<RoomEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(type)}`));
    }, timeoutMs);
    const off = room.on(type, (payload) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

async function until(room: ParleyRoom, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  if (condition()) return;
  await once(room, 'change', condition, timeoutMs);
}

const allConnected = (room: ParleyRoom, count: number) => () =>
  room.participants.length === count && room.participants.every((peer) => peer.state === 'connected');

beforeEach(async () => {
  server = await startServer({ roomCapacity: 4 });
});

afterEach(async () => {
  for (const room of rooms.splice(0)) room.close();
  await server.close();
});

describe('ParleyRoom (Node peers)', () => {
  it('joins, connects directly and chats both ways', async () => {
    const ada = openRoom('Ada');
    await until(ada, () => ada.status.phase === 'joined');
    const bob = openRoom('Bob');
    await until(bob, allConnected(bob, 1));
    await until(ada, allConnected(ada, 1));
    expect(bob.participants[0]?.name).toBe('Ada');
    expect(ada.participants[0]?.name).toBe('Bob');

    const received = once(bob, 'message', (message) => !message.own);
    const sent = ada.send('hello over the data channel');
    expect(sent).toMatchObject({ own: true, text: 'hello over the data channel', sentToCount: 1, authorName: 'Ada' });
    const message: ChatMessage = await received;
    expect(message).toMatchObject({ own: false, text: 'hello over the data channel', authorName: 'Ada', authorId: ada.selfId });

    const reply = once(ada, 'message', (m) => !m.own);
    bob.send('and back');
    expect((await reply).text).toBe('and back');
  });

  it('keeps rooms with different keys apart', async () => {
    const ada = openRoom('Ada', 'first-room-key-aaaaaaaaaaaa');
    const eve = openRoom('Eve', 'second-room-key-bbbbbbbbbbb');
    await until(ada, () => ada.status.phase === 'joined');
    await until(eve, () => eve.status.phase === 'joined');
    expect(ada.roomId).not.toBe(eve.roomId);
    const bob = openRoom('Bob', 'first-room-key-aaaaaaaaaaaa');
    await until(bob, allConnected(bob, 1));
    expect(bob.participants.map((peer) => peer.name)).toEqual(['Ada']);
    expect(eve.participants).toEqual([]);
  });

  it('propagates renames and sees people leave', async () => {
    const ada = openRoom('Ada');
    await until(ada, () => ada.status.phase === 'joined');
    const bob = openRoom('Bob');
    await until(ada, allConnected(ada, 1));
    bob.setName('  Robert  ');
    await until(ada, () => ada.participants[0]?.name === 'Robert');
    const left = once(ada, 'peer-left');
    bob.close();
    expect((await left).name).toBe('Robert');
    expect(ada.participants).toEqual([]);
  });

  it('refuses empty and over-long messages without sending anything', async () => {
    const ada = openRoom('Ada');
    await until(ada, () => ada.status.phase === 'joined');
    expect(() => ada.send('  \n ')).toThrow(ChatSendError);
    expect(() => ada.send('x'.repeat(MAX_CHAT_TEXT_LENGTH + 1))).toThrow(/limited to 16,000 characters/);
    expect(ada.messages).toEqual([]);
    expect(ada.send('x'.repeat(MAX_CHAT_TEXT_LENGTH)).sentToCount).toBe(0);
  });

  it('reports a full room as rejected, with the server explanation', async () => {
    for (const name of ['One', 'Two', 'Three', 'Four']) {
      const room = openRoom(name);
      await until(room, () => room.status.phase === 'joined');
    }
    const fifth = openRoom('Five');
    await until(fifth, () => fifth.status.phase === 'rejected');
    expect(fifth.status).toMatchObject({ phase: 'rejected', code: 'room-full' });
    expect(fifth.status.detail).toContain('full');
  });

  it('goes offline but keeps its peers when the signaling server stops', async () => {
    const ada = openRoom('Ada');
    await until(ada, () => ada.status.phase === 'joined');
    const bob = openRoom('Bob');
    await until(bob, allConnected(bob, 1));
    await until(ada, allConnected(ada, 1));
    await server.close();
    await until(ada, () => ada.status.phase === 'offline');
    expect(ada.status.code).toBe(1001);
    const received = once(bob, 'message', (m) => !m.own);
    ada.send('still here');
    expect((await received).text).toBe('still here');
  });
});
