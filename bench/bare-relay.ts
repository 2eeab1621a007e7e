/**
 * The floor: a bare Fastify + @fastify/websocket relay speaking the same frames as Parley (join →
 * welcome, signal → signal with `from`), with no validation, limits or heartbeats. What the
 * framework alone costs; Parley's figures are compared against it.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { WebSocket } from 'ws';

const rooms = new Map<string, Map<string, WebSocket>>();
const app = Fastify({ logger: false });
await app.register(fastifyWebsocket);
app.get('/signal', { websocket: true }, (socket) => {
  let room: Map<string, WebSocket> | undefined;
  const id = randomUUID();
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as { type: string; room?: string; to?: string; data?: unknown };
    if (message.type === 'join' && message.room) {
      room = rooms.get(message.room) ?? new Map<string, WebSocket>();
      rooms.set(message.room, room);
      const members = [...room.keys()].map((memberId) => ({ id: memberId, name: '' }));
      room.set(id, socket);
      socket.send(JSON.stringify({ type: 'welcome', id, members }));
    } else if (message.type === 'signal' && room && message.to) {
      room.get(message.to)?.send(JSON.stringify({ type: 'signal', from: id, data: message.data }));
    }
  });
  socket.on('close', () => room?.delete(id));
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
process.stdout.write(`listening on 127.0.0.1:${typeof address === 'object' && address ? address.port : 0})\n`);
