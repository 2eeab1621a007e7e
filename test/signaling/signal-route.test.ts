// The signaling server over real WebSockets on a random loopback port.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, PROTOCOL_VERSION, type WelcomeMessage } from '../../signaling/protocol.js';
import { startServer, type RunningServer } from '../support/server.js';
import { TestClient } from '../support/ws-client.js';

const ROOM_A = 'a'.repeat(43);
const ROOM_B = 'b'.repeat(43);

let server: RunningServer;
const clients: TestClient[] = [];

async function connect(): Promise<TestClient> {
  const client = await TestClient.connect(server.signalUrl);
  clients.push(client);
  return client;
}

async function join(room: string, name: string): Promise<{ client: TestClient; welcome: WelcomeMessage }> {
  const client = await connect();
  client.send({ type: 'join', v: PROTOCOL_VERSION, room, name });
  const welcome = await client.next('welcome');
  return { client, welcome };
}

beforeEach(async () => {
  server = await startServer({ roomCapacity: 3, heartbeatIntervalMs: 200, iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.close();
});

describe('joining and leaving', () => {
  it('welcomes with an id, the current members and the ICE servers, and announces the newcomer', async () => {
    const ada = await join(ROOM_A, 'Ada');
    expect(ada.welcome).toMatchObject({ type: 'welcome', v: PROTOCOL_VERSION, room: ROOM_A, members: [] });
    expect(ada.welcome.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(ada.welcome.iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);

    const bob = await join(ROOM_A, 'Bob');
    expect(bob.welcome.members).toEqual([{ id: ada.welcome.id, name: 'Ada' }]);
    expect(bob.welcome.id).not.toBe(ada.welcome.id);
    expect(await ada.client.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: bob.welcome.id, name: 'Bob' } });
  });

  it('announces a leave message and a closed socket as peer-left', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    const cy = await join(ROOM_A, 'Cy');
    bob.client.send({ type: 'leave' });
    expect(await ada.client.next('peer-left')).toEqual({ type: 'peer-left', id: bob.welcome.id });
    cy.client.close();
    expect(await ada.client.next('peer-left')).toEqual({ type: 'peer-left', id: cy.welcome.id });
  });

  it('announces renames to the others', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    bob.client.send({ type: 'rename', name: 'Robert' });
    expect(await ada.client.next('peer-renamed')).toEqual({ type: 'peer-renamed', peer: { id: bob.welcome.id, name: 'Robert' } });
    const cy = await join(ROOM_A, 'Cy');
    expect(cy.welcome.members.map((m) => m.name)).toEqual(['Ada', 'Robert']);
  });

  it('refuses a second join and actions before joining', async () => {
    const ada = await join(ROOM_A, 'Ada');
    ada.client.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM_B, name: 'Ada' });
    expect(await ada.client.next('error')).toMatchObject({ code: ErrorCode.AlreadyJoined, ref: 'join' });

    const loner = await connect();
    loner.send({ type: 'signal', to: ada.welcome.id, data: { type: 'offer', sdp: 'x' } });
    expect(await loner.next('error')).toMatchObject({ code: ErrorCode.NotJoined, ref: 'signal' });
    loner.send({ type: 'rename', name: 'X' });
    expect(await loner.next('error')).toMatchObject({ code: ErrorCode.NotJoined, ref: 'rename' });
    loner.send({ type: 'leave' });
    expect(await loner.next('error')).toMatchObject({ code: ErrorCode.NotJoined, ref: 'leave' });
  });

  it('closes with 4001 for an unsupported protocol version', async () => {
    const client = await connect();
    client.send({ type: 'join', v: PROTOCOL_VERSION + 1, room: ROOM_A, name: 'Future' });
    expect(await client.next('error')).toMatchObject({ code: ErrorCode.UnsupportedVersion });
    expect((await client.closed).code).toBe(CloseCode.UnsupportedVersion);
  });
});

describe('relaying signals', () => {
  it('relays to a member of the same room with the sender id set by the server', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    const data = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    bob.client.send({ type: 'signal', to: ada.welcome.id, data });
    expect(await ada.client.next('signal')).toEqual({ type: 'signal', from: bob.welcome.id, data });
  });

  it('never relays outside the room', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    const eve = await join(ROOM_B, 'Eve');
    eve.client.send({ type: 'signal', to: ada.welcome.id, data: { type: 'offer', sdp: 'evil' } });
    expect(await eve.client.next('error')).toMatchObject({ code: ErrorCode.UnknownPeer, ref: 'signal' });

    // Ada still gets Bob's signals, and only those.
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { n: 1 } });
    expect(await ada.client.next('signal')).toMatchObject({ from: bob.welcome.id, data: { n: 1 } });
    await ada.client.barrier();
    expect(ada.client.all('signal')).toHaveLength(1);
  });

  it('refuses signals to oneself and to someone who left', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    ada.client.send({ type: 'signal', to: ada.welcome.id, data: {} });
    expect(await ada.client.next('error')).toMatchObject({ code: ErrorCode.UnknownPeer });
    bob.client.send({ type: 'leave' });
    await ada.client.next('peer-left');
    ada.client.send({ type: 'signal', to: bob.welcome.id, data: {} });
    expect(await ada.client.next('error')).toMatchObject({ code: ErrorCode.UnknownPeer });
  });

  it('cannot forge the sender id', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    const cy = await join(ROOM_A, 'Cy');
    // Cy claims to be Bob: the frame is refused and nothing reaches Ada.
    cy.client.send({ type: 'signal', to: ada.welcome.id, from: bob.welcome.id, data: { type: 'offer', sdp: 'forged' } });
    expect(await cy.client.next('error')).toMatchObject({ code: ErrorCode.InvalidMessage });
    // A `from` hidden inside the payload is only payload: the envelope still names Cy.
    cy.client.send({ type: 'signal', to: ada.welcome.id, data: { from: bob.welcome.id } });
    const relayed = await ada.client.next('signal');
    expect(relayed.from).toBe(cy.welcome.id);
    await ada.client.barrier();
    expect(ada.client.all('signal')).toHaveLength(1);
  });
});

describe('bad input', () => {
  it('answers every kind of bad frame with an error and keeps serving', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    const bad: [string | Buffer, string, boolean?][] = [
      ['{not json', ErrorCode.BadJson],
      ['[]', ErrorCode.UnknownType],
      ['{"type":"explode"}', ErrorCode.UnknownType],
      ['{"type":"signal","to":42,"data":{}}', ErrorCode.InvalidMessage],
      ['{"type":"join","v":1}', ErrorCode.InvalidMessage],
      [Buffer.from([0xde, 0xad, 0xbe, 0xef]), ErrorCode.BadJson, true],
      ['x'.repeat(70 * 1024), ErrorCode.FrameTooLarge],
    ];
    for (const [frame, code, binary] of bad) {
      ada.client.sendRaw(frame, { binary: binary ?? false });
      const error = await ada.client.next('error');
      expect(error.code).toBe(code);
      expect(JSON.stringify(error)).not.toMatch(/\.ts:\d+|\.js:\d+|stack/i);
    }
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { still: 'works' } });
    expect(await ada.client.next('signal')).toMatchObject({ data: { still: 'works' } });
    const health = await fetch(`${server.origin}/healthz`);
    expect(health.status).toBe(200);
  });

  it('closes with 1007 a text frame that is not UTF-8, and others are unaffected', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    ada.client.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect((await ada.client.closed).code).toBe(CloseCode.InvalidPayload);
    expect(await bob.client.next('peer-left')).toEqual({ type: 'peer-left', id: ada.welcome.id });
  });

  it('closes with 1009 a frame over the hard limit, and others are unaffected', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    ada.client.sendRaw('x'.repeat(2 * 1024 * 1024));
    expect((await ada.client.closed).code).toBe(CloseCode.MessageTooBig);
    expect(await bob.client.next('peer-left')).toEqual({ type: 'peer-left', id: ada.welcome.id });
  });
});

describe('limits and liveness', () => {
  it('refuses a member over the room cap with room-full and close 4002', async () => {
    await join(ROOM_A, 'One');
    await join(ROOM_A, 'Two');
    await join(ROOM_A, 'Three');
    const fourth = await connect();
    fourth.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM_A, name: 'Four' });
    const error = await fourth.next('error');
    expect(error).toMatchObject({ code: ErrorCode.RoomFull, ref: 'join' });
    expect(error.message).toContain('3');
    expect((await fourth.closed).code).toBe(CloseCode.RoomFull);
    // Another room is not affected by this one being full.
    const other = await join(ROOM_B, 'Elsewhere');
    expect(other.welcome.members).toEqual([]);
  });

  it('drops a client that stops answering pings, and the room sees it leave', async () => {
    const ada = await join(ROOM_A, 'Ada');
    const silent = await TestClient.connect(server.signalUrl, { autoPong: false });
    clients.push(silent);
    silent.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM_A, name: 'Silent' });
    const { id } = await silent.next('welcome');
    const started = Date.now();
    expect(await ada.client.next('peer-left', () => true, 3000)).toEqual({ type: 'peer-left', id });
    // Two heartbeat intervals (200 ms each) at most, with slack for a loaded machine.
    expect(Date.now() - started).toBeLessThan(2000);
    // Ada answers pings (ws does by default) and stays.
    const health = (await (await fetch(`${server.origin}/healthz`)).json()) as { peers: number };
    expect(health.peers).toBe(1);
  });
});

describe('logging', () => {
  it('logs joins and leaves but never signaling payloads or full room ids', async () => {
    await server.close();
    const lines: string[] = [];
    server = await startServer({
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    });
    const ada = await join(ROOM_A, 'Ada');
    const bob = await join(ROOM_A, 'Bob');
    const sdp = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 SECRET-FINGERPRINT';
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { type: 'offer', sdp } });
    await ada.client.next('signal');
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { candidate: 'candidate:1 1 udp 2122260223 10.9.8.7 5000 typ host' } });
    await ada.client.next('signal');
    bob.client.close();
    await ada.client.next('peer-left');

    const log = lines.join('');
    expect(log).toContain('peer joined room');
    expect(log).toContain('peer left room');
    expect(log).not.toContain('SECRET-FINGERPRINT');
    expect(log).not.toContain('10.9.8.7');
    expect(log).not.toContain(ROOM_A);
  });
});

describe('HTTP', () => {
  it('answers /healthz with JSON', async () => {
    await join(ROOM_A, 'Ada');
    const response = await fetch(`${server.origin}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toMatchObject({ status: 'ok', protocol: PROTOCOL_VERSION, rooms: 1, peers: 1 });
  });

  it('serves the web app and the embeddable element (with CORS for module scripts)', async () => {
    const page = await fetch(`${server.origin}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<parley-chat');
    const element = await fetch(`${server.origin}/parley-chat.js`);
    expect(element.status).toBe(200);
    expect(element.headers.get('content-type')).toContain('javascript');
    expect(element.headers.get('access-control-allow-origin')).toBe('*');
    expect(await element.text()).toContain('parley-chat');
  });

  it('tells connected clients it is going away when it shuts down', async () => {
    const ada = await join(ROOM_A, 'Ada');
    await server.close();
    expect((await ada.client.closed).code).toBe(CloseCode.GoingAway);
  });
});
