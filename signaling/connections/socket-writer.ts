/**
 * Writes frames to one WebSocket so that the frames sent to it within one tick leave in one TCP
 * write (one syscall) instead of one each: the first frame of a tick corks the TCP socket, and the
 * next tick uncorks it. The server's twin of web/transport/channel-writer.ts. Frames for a socket
 * that is no longer open are dropped.
 */
import { WebSocket } from 'ws';

/** The part of a WebSocket the writer uses. */
export interface FrameSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** The part of the TCP socket under it (the upgrade request's socket, the same one ws writes to). */
export interface CorkableSocket {
  readonly writableCorked: number;
  cork(): void;
  uncork(): void;
}

const OPEN = WebSocket.OPEN;

export class SocketWriter {
  constructor(
    private readonly socket: FrameSocket,
    private readonly tcp: CorkableSocket,
  ) {}

  send(frame: string): void {
    if (this.socket.readyState !== OPEN) return;
    // ws corks and uncorks within a send of its own, so a corked socket here is one this writer
    // corked earlier in the tick: no flag of its own is needed.
    if (this.tcp.writableCorked === 0) {
      this.tcp.cork();
      process.nextTick(uncork, this.tcp);
    }
    this.socket.send(frame);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}

/** One function for every socket, rather than a closure per cork. */
function uncork(tcp: CorkableSocket): void {
  tcp.uncork();
}
