/**
 * One signaling client interface over the servers the benchmark compares, so every scenario runs
 * the same code against each: Parley and the two floor relays speak Parley's frames;
 * PeerJS speaks its own (connect with ?id&token&key, OPEN, OFFER with dst/src, HEARTBEAT).
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, ServerMessageType, type JoinMessage } from '../protocol/signaling.js';

/**
 * 'bare': the Fastify relay (the framework floor); 'ws': the same on `ws` alone (the machine floor);
 * 'parleyRedis': two Parley instances sharing rooms through Redis, each room's members placed on
 * the instances in turn, so every signal between two members crosses Redis.
 */
export type ServerKind = 'parley' | 'parleyRedis' | 'bare' | 'ws' | 'peerjs';

export interface SignalClient {
  readonly id: string;
  /** Ids of the room members present when this client joined (empty for PeerJS: no rooms). */
  readonly membersAtJoin: readonly string[];
  send(to: string, data: Record<string, unknown>): void;
  /**
   * Resolves once this client's server accepts signals to `id`: at once if `id` was in the room at
   * the join (or the server has no rooms), else when `peer-joined` names it. Over Redis, a member's
   * instance hears of a newcomer on another instance a moment after the newcomer's welcome, and
   * refuses signals to it until then.
   */
  knows(id: string): Promise<void>;
  /** Sets the one listener for relayed signals; those that arrived earlier are handed over first. */
  onSignal(listener: (from: string, data: Record<string, unknown>) => void): void;
  close(): void;
}

/** PeerJS clients send this every 5 s (its client's default), or the server drops them. */
const PEERJS_HEARTBEAT_MS = 5000;

function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** Stands in for the digest of a public signing key: the server checks only its format. */
function randomKeyDigest(): string {
  return randomBytes(32).toString('base64url');
}

/** A room id as Parley expects it (43 base64url characters); any string works for the others. */
export function benchRoomId(index: number): string {
  return `bench${String(index).padStart(10, '0')}`.padEnd(43, 'x');
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}

/**
 * Delivers signals to the listener, keeping those that arrive before it is attached (a welcome
 * and the first offer can come in one TCP read, before the caller has seen the welcome).
 */
class SignalInbox {
  #listener: ((from: string, data: Record<string, unknown>) => void) | undefined;
  #early: [string, Record<string, unknown>][] = [];

  deliver(from: string, data: Record<string, unknown>): void {
    if (this.#listener) this.#listener(from, data);
    else this.#early.push([from, data]);
  }

  attach(listener: (from: string, data: Record<string, unknown>) => void): void {
    this.#listener = listener;
    for (const [from, data] of this.#early.splice(0)) listener(from, data);
  }
}

/** The room members a client's server has told it of. */
class KnownPeers {
  readonly #known = new Set<string>();
  readonly #waiting = new Map<string, (() => void)[]>();

  learn(id: string): void {
    this.#known.add(id);
    for (const resolve of this.#waiting.get(id) ?? []) resolve();
    this.#waiting.delete(id);
  }

  whenKnown(id: string): Promise<void> {
    if (this.#known.has(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.#waiting.get(id) ?? [];
      waiting.push(resolve);
      this.#waiting.set(id, waiting);
    });
  }
}

async function parleyLike(url: string, room: string): Promise<SignalClient> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await opened(socket);
  const inbox = new SignalInbox();
  const peers = new KnownPeers();
  const welcome = await new Promise<{ id: string; members: { id: string }[] }>((resolve, reject) => {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as {
        type: string;
        id: string;
        members: { id: string }[];
        from: string;
        data: Record<string, unknown>;
        peer: { id: string };
      };
      if (message.type === ServerMessageType.Welcome) resolve(message);
      else if (message.type === ServerMessageType.Signal) inbox.deliver(message.from, message.data);
      else if (message.type === ServerMessageType.PeerJoined) peers.learn(message.peer.id);
      else if (message.type === ServerMessageType.Error) reject(new Error(`server error: ${raw.toString()}`));
    });
    const join: JoinMessage = { type: 'join', v: PROTOCOL_VERSION, room, session: randomId(), key: randomKeyDigest() };
    socket.send(JSON.stringify(join));
  });
  for (const member of welcome.members) peers.learn(member.id);
  return {
    id: welcome.id,
    membersAtJoin: welcome.members.map((member) => member.id),
    send: (to, data) => socket.send(JSON.stringify({ type: 'signal', to, data })),
    knows: (id) => peers.whenKnown(id),
    onSignal: (listener) => inbox.attach(listener),
    close: () => socket.terminate(),
  };
}

async function peerjs(url: string): Promise<SignalClient> {
  const id = randomId();
  const socket = new WebSocket(`${url}?key=peerjs&id=${id}&token=${randomId()}`, { perMessageDeflate: false });
  const inbox = new SignalInbox();
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as { type: string; src: string; payload: Record<string, unknown> };
      if (message.type === 'OPEN') resolve();
      else if (message.type === 'OFFER') inbox.deliver(message.src, message.payload);
      else if (message.type === 'ERROR' || message.type === 'ID-TAKEN') reject(new Error(`peerjs: ${raw.toString()}`));
    });
    socket.once('error', reject);
  });
  // Spread the heartbeats over the interval, as real clients that connected at different times.
  const heartbeat = setTimeout(function beat() {
    if (socket.readyState === socket.OPEN) socket.send('{"type":"HEARTBEAT"}');
    heartbeatTimer = setTimeout(beat, PEERJS_HEARTBEAT_MS);
  }, Math.random() * PEERJS_HEARTBEAT_MS);
  let heartbeatTimer: ReturnType<typeof setTimeout> = heartbeat;
  return {
    id,
    membersAtJoin: [],
    send: (to, payload) => socket.send(JSON.stringify({ type: 'OFFER', dst: to, payload })),
    // No rooms: PeerJS relays to any id, and queues for ids not yet online.
    knows: () => Promise.resolve(),
    onSignal: (listener) => inbox.attach(listener),
    close: () => {
      clearTimeout(heartbeatTimer);
      socket.terminate();
    },
  };
}

/** Connects one client to `room` on the server at `url`. */
export function connectClient(kind: ServerKind, url: string, room: string): Promise<SignalClient> {
  return kind === 'peerjs' ? peerjs(url) : parleyLike(url, room);
}

/** The WebSocket URL of each server kind on a port. */
export function signalUrl(kind: ServerKind, port: number): string {
  return kind === 'peerjs' ? `ws://127.0.0.1:${port}/peerjs` : `ws://127.0.0.1:${port}/signal`;
}
