/**
 * The framework floor: a bare Fastify + @fastify/websocket relay doing the least work that speaks
 * Parley's frames (relay-frames.ts), with no validation, limits, heartbeats or logs. What the
 * framework alone costs; Parley's figures are compared against it.
 */
import Fastify from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { RELAY_PORT, relayFrames } from './relay-frames.js';

const app = Fastify({ logger: false });
await app.register(fastifyWebsocket);
// The upgrade request's TCP socket is the one the WebSocket writes to (corked per tick).
app.get('/signal', { websocket: true }, (socket, request) => relayFrames(socket, request.raw.socket));
await app.listen({ host: '127.0.0.1', port: RELAY_PORT });
const address = app.server.address();
process.stdout.write(`listening on 127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
