// The built-in STUN server over a real UDP socket on loopback, asked by a Node client.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { StunServer } from '../../../signaling/stun/stun-server.js';
import { xorMappedAddress } from '../../../signaling/stun/binding.js';
import { sleep } from '../../support/room-waits.js';

let server: StunServer | undefined;
let client: Socket | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

async function clientSocket(): Promise<{ socket: Socket; port: number; replies: Buffer[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const replies: Buffer[] = [];
  socket.on('message', (reply) => replies.push(reply));
  client = socket;
  return { socket, port: socket.address().port, replies };
}

function bindingRequest(transactionId: Buffer, attributes = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt16BE(attributes.length, 2);
  header.writeUInt32BE(0x2112a442, 4);
  return Buffer.concat([header, transactionId, attributes]);
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition() && waited < 2000; waited += 10) await sleep(10);
}

describe('StunServer', () => {
  it('answers a Binding request with the address and port it came from', async () => {
    server = await StunServer.listen({ host: '127.0.0.1', port: 0 });
    const { socket, port, replies } = await clientSocket();
    const transactionId = randomBytes(12);
    socket.send(bindingRequest(transactionId), server.port, '127.0.0.1');
    await until(() => replies.length > 0);
    expect(replies).toHaveLength(1);
    const reply = replies[0]!;
    expect(reply.readUInt16BE(0)).toBe(0x0101);
    expect(reply.subarray(8, 20)).toEqual(transactionId);
    expect(reply.subarray(24, 32)).toEqual(xorMappedAddress(transactionId, '127.0.0.1', port));
    expect(server.counters).toMatchObject({ answered: 1, ignored: 0 });
  });

  it('answers 420 to attributes it must understand and does not, and nothing to what is not a Binding request', async () => {
    server = await StunServer.listen({ host: '127.0.0.1', port: 0 });
    const { socket, replies } = await clientSocket();
    const unknown = Buffer.from('00030004000000ff', 'hex');
    socket.send(bindingRequest(randomBytes(12), unknown), server.port, '127.0.0.1');
    socket.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'), server.port, '127.0.0.1');
    socket.send(randomBytes(64), server.port, '127.0.0.1');
    await until(() => server!.counters.ignored + server!.counters.refused >= 3);
    await sleep(50);
    expect(replies.map((reply) => reply.readUInt16BE(0))).toEqual([0x0111]);
    expect(server.counters).toMatchObject({ answered: 0, refused: 1, ignored: 2 });
  });

  it('a flood from one (possibly forged) source address gets its rate of answers, no more', async () => {
    server = await StunServer.listen({ host: '127.0.0.1', port: 0, answersPerSecondPerAddress: 5 });
    const { socket, replies } = await clientSocket();
    for (let index = 0; index < 50; index += 1) socket.send(bindingRequest(randomBytes(12)), server.port, '127.0.0.1');
    await until(() => server!.counters.answered + server!.counters.rateLimited >= 50);
    await sleep(50);
    expect(replies.length).toBeGreaterThanOrEqual(5);
    expect(replies.length).toBeLessThanOrEqual(6);
    expect(server.counters.rateLimited).toBe(50 - replies.length);
  });

  it('refuses to start on a port that is taken, with the reason', async () => {
    server = await StunServer.listen({ host: '127.0.0.1', port: 0 });
    await expect(StunServer.listen({ host: '127.0.0.1', port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
