/**
 * The relaying both floor servers share: the least work a relay can do and still speak Parley's
 * frames. join → peer-joined to those already in the room, then welcome to the newcomer; signal →
 * signal with `from`, its payload forwarded as the text it came in (one JSON.parse to route a
 * frame, never a JSON.stringify of the payload); a close → peer-left. Frames to one socket within
 * a tick leave in one TCP write, as Parley's connections/socket-writer.ts does. No validation,
 * limits, heartbeats or logs: whatever Parley costs above this is what those cost.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import {
  LeaveReason,
  PROTOCOL_VERSION,
  SIGNAL_REQUEST_DATA_INFIX,
  SIGNAL_REQUEST_PREFIX,
  ServerMessageType,
  signalDeliveryFrame,
  type PeerJoinedMessage,
  type PeerLeftMessage,
  type WelcomeMessage,
} from '../protocol/signaling.js';

/** A member: its socket, and the TCP socket under it (corked while a tick's frames gather). */
interface FloorPeer {
  readonly id: string;
  readonly socket: WebSocket;
  readonly tcp: Socket;
}

const rooms = new Map<string, Map<string, FloorPeer>>();

/** As long as Parley's peer ids (protocol/ids.ts PEER_ID_LENGTH: 22), so frames match byte for byte. */
function newPeerId(): string {
  return randomBytes(16).toString('base64url');
}

function send(peer: FloorPeer, frame: string): void {
  if (peer.socket.readyState !== WebSocket.OPEN) return;
  // ws corks and uncorks inside each send, so a corked socket here was corked earlier this tick.
  if (peer.tcp.writableCorked === 0) {
    peer.tcp.cork();
    process.nextTick(uncork, peer.tcp);
  }
  peer.socket.send(frame);
}

function uncork(tcp: Socket): void {
  tcp.uncork();
}

/**
 * The payload's JSON text, cut from a frame in the layout JSON.stringify writes
 * (`{"type":"signal","to":"<to>","data":…}`), as Parley does; undefined for any other layout.
 */
function rawPayload(frame: string, to: string): string | undefined {
  const dataStart = SIGNAL_REQUEST_PREFIX.length + to.length + SIGNAL_REQUEST_DATA_INFIX.length;
  const canonical =
    frame.startsWith(SIGNAL_REQUEST_PREFIX) &&
    frame.startsWith(to, SIGNAL_REQUEST_PREFIX.length) &&
    frame.startsWith(SIGNAL_REQUEST_DATA_INFIX, SIGNAL_REQUEST_PREFIX.length + to.length) &&
    frame.charCodeAt(frame.length - 1) === 0x7d; /* } */
  return canonical ? frame.slice(dataStart, -1) : undefined;
}

interface InboundFrame {
  type?: unknown;
  room?: unknown;
  to?: unknown;
  data?: unknown;
}

/** `tcp` is the connection's TCP socket (the upgrade request's), which the WebSocket writes to. */
export function relayFrames(socket: WebSocket, tcp: Socket): void {
  const self: FloorPeer = { id: newPeerId(), socket, tcp };
  let roomId: string | undefined;
  let room: Map<string, FloorPeer> | undefined;

  socket.on('message', (raw: RawData) => {
    const frame = raw.toString();
    const message = JSON.parse(frame) as InboundFrame;
    if (message.type === 'signal' && room && typeof message.to === 'string') {
      const target = room.get(message.to);
      if (!target) return;
      const payload = rawPayload(frame, message.to) ?? JSON.stringify(message.data);
      send(target, signalDeliveryFrame(self.id, payload));
    } else if (message.type === 'join' && !room && typeof message.room === 'string') {
      roomId = message.room;
      room = rooms.get(roomId);
      if (!room) rooms.set(roomId, (room = new Map()));
      const existing = [...room.values()];
      room.set(self.id, self);
      // Those present hear of the newcomer before it can signal them, as in Parley.
      const joined = JSON.stringify({ type: ServerMessageType.PeerJoined, peer: { id: self.id } } satisfies PeerJoinedMessage);
      for (const member of existing) send(member, joined);
      send(
        self,
        JSON.stringify({
          type: ServerMessageType.Welcome,
          v: PROTOCOL_VERSION,
          id: self.id,
          room: roomId,
          members: existing.map((member) => ({ id: member.id })),
          iceServers: [],
        } satisfies WelcomeMessage),
      );
    }
  });

  socket.on('close', () => {
    if (!room || !roomId) return;
    room.delete(self.id);
    if (room.size === 0) {
      rooms.delete(roomId);
      return;
    }
    const left = JSON.stringify({ type: ServerMessageType.PeerLeft, id: self.id, reason: LeaveReason.Lost } satisfies PeerLeftMessage);
    for (const member of room.values()) send(member, left);
  });
}

/** The port the harness chose (server-processes.ts passes it in the environment). */
export const RELAY_PORT = Number(process.env.PORT ?? 0);
