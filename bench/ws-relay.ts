/**
 * The machine floor: the same least-work relaying (relay-frames.ts) on the `ws` library alone, with
 * no framework. Run in the latency and join-storm scenarios to show what this machine and the load
 * generator allow at all, whatever the server does.
 */
import { WebSocketServer } from 'ws';
import { RELAY_PORT, relayFrames } from './relay-frames.js';

const server = new WebSocketServer({ host: '127.0.0.1', port: RELAY_PORT, path: '/signal', perMessageDeflate: false });
server.on('connection', (socket, request) => relayFrames(socket, request.socket));
server.on('listening', () => process.stdout.write(`listening on 127.0.0.1:${RELAY_PORT}\n`));
