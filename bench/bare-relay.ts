/**
 * The framework floor: a bare Fastify + @fastify/websocket relay speaking the same frames as
 * Parley, with no validation, limits or heartbeats. What the framework alone costs; Parley's
 * figures are compared against it.
 */
import Fastify from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { RELAY_PORT, relayFrames } from './relay-frames.js';

const app = Fastify({ logger: false });
await app.register(fastifyWebsocket);
app.get('/signal', { websocket: true }, (socket) => relayFrames(socket));
await app.listen({ host: '127.0.0.1', port: RELAY_PORT });
const address = app.server.address();
process.stdout.write(`listening on 127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
