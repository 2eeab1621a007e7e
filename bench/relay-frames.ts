/**
 * The relaying both floor servers share: Parley's frames (join → welcome, signal → signal with
 * `from`) and nothing else: no validation, limits or heartbeats.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';

const rooms = new Map<string, Map<string, WebSocket>>();

export function relayFrames(socket: WebSocket): void {
  let room: Map<string, WebSocket> | undefined;
  const id = randomUUID();
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as { type: string; room?: string; to?: string; data?: unknown };
    if (message.type === 'join' && message.room) {
      room = rooms.get(message.room) ?? new Map<string, WebSocket>();
      rooms.set(message.room, room);
      const members = [...room.keys()].map((memberId) => ({ id: memberId }));
      room.set(id, socket);
      socket.send(JSON.stringify({ type: 'welcome', id, members }));
    } else if (message.type === 'signal' && room && message.to) {
      room.get(message.to)?.send(JSON.stringify({ type: 'signal', from: id, data: message.data }));
    }
  });
  socket.on('close', () => room?.delete(id));
}

/** The port the harness chose (server-processes.ts passes it in the environment). */
export const RELAY_PORT = Number(process.env.PORT ?? 0);
