import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CloseCode } from '../../../protocol/signaling.js';
import { SocketWriter, type CorkableSocket, type FrameSocket } from '../../../signaling/connections/socket-writer.js';

/** A TCP socket that records each write it would make: one array per write, of the frames in it. */
class FakeTcpSocket implements CorkableSocket {
  writableCorked = 0;
  readonly writes: string[][] = [];
  #held: string[] = [];

  cork(): void {
    this.writableCorked += 1;
  }

  uncork(): void {
    this.writableCorked -= 1;
    if (this.writableCorked === 0 && this.#held.length > 0) {
      this.writes.push(this.#held);
      this.#held = [];
    }
  }

  write(frame: string): void {
    if (this.writableCorked > 0) this.#held.push(frame);
    else this.writes.push([frame]);
  }
}

/** A WebSocket over the fake TCP socket; like ws, it corks and uncorks around each frame it writes. */
class FakeWebSocket implements FrameSocket {
  readyState: number = WebSocket.OPEN;
  readonly closes: [number, string][] = [];

  constructor(private readonly tcp: FakeTcpSocket) {}

  send(data: string): void {
    this.tcp.cork();
    this.tcp.write(data);
    this.tcp.uncork();
  }

  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

function writerOverFakes(): { tcp: FakeTcpSocket; socket: FakeWebSocket; writer: SocketWriter } {
  const tcp = new FakeTcpSocket();
  const socket = new FakeWebSocket(tcp);
  return { tcp, socket, writer: new SocketWriter(socket, tcp) };
}

describe('SocketWriter', () => {
  it('sends the frames of one tick in one write, and those of the next tick in another', async () => {
    const { tcp, writer } = writerOverFakes();
    writer.send('a');
    writer.send('b');
    writer.send('c');
    expect(tcp.writes).toEqual([]);
    await nextTick();
    expect(tcp.writes).toEqual([['a', 'b', 'c']]);
    expect(tcp.writableCorked).toBe(0);

    writer.send('d');
    await nextTick();
    expect(tcp.writes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('drops frames for a socket that is no longer open, without corking it', async () => {
    const { tcp, socket, writer } = writerOverFakes();
    socket.readyState = WebSocket.CLOSING;
    writer.send('late');
    expect(tcp.writableCorked).toBe(0);
    await nextTick();
    expect(tcp.writes).toEqual([]);
  });

  it('closes the socket with the code and reason given', () => {
    const { socket, writer } = writerOverFakes();
    writer.close(CloseCode.JoinTimeout, 'no join in time');
    expect(socket.closes).toEqual([[CloseCode.JoinTimeout, 'no join in time']]);
  });
});
