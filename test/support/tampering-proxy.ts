// A hostile signaling server for tests: an HTTP + WebSocket proxy in front of a real Parley server.
// Pages load from the proxy's origin, so the app's WebSocket to `/signal` goes through it; every
// frame is bridged one by one, and the test decides what happens to each (pass, drop, change,
// duplicate, delay, redirect), injects frames of its own, and reads back everything the proxy saw.
// That is exactly the position of a malicious server operator, or of anyone on the path to it.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { SIGNAL_PATH } from '../../protocol/signaling.js';
import { startServer, type RunningServer } from './server.js';
import type { BuildAppOptions } from '../../signaling/app.js';

/** 'up': a browser (or test client) to the server; 'down': the server to a browser. */
export type Direction = 'up' | 'down';

/** One browser's (or test client's) signaling connection through the proxy. */
export interface ProxiedClient {
  /** 1, 2, 3… in the order the connections were made. */
  readonly number: number;
  /** The peer id the server gave this connection in `welcome` (undefined before it). */
  readonly peerId: string | undefined;
  /** The room id from its `join` (undefined before it). */
  readonly roomId: string | undefined;
  readonly open: boolean;
}

/** A frame as it reached the proxy, before any hook changed it. */
export interface SeenFrame {
  direction: Direction;
  /** Which connection it travelled on (its peer id may still be unknown for the first frames). */
  client: number;
  peerId: string | undefined;
  text: string;
  /** What the proxy did with it: passed, or a hook's rewrite; 'injected' for frames the test made up. */
  fate: 'passed' | 'rewritten' | 'dropped' | 'injected';
  /** Milliseconds since the proxy started. */
  at: number;
}

/** A frame handed to a hook: its text, its JSON (undefined if it is not a JSON object), where it goes. */
export interface InterceptedFrame {
  direction: Direction;
  client: ProxiedClient;
  text: string;
  message: Record<string, unknown> | undefined;
}

/** What a hook wants done with a frame; returning undefined passes it unchanged. */
export interface Rewrite {
  /** Frames to send instead (objects are JSON-stringified): [] drops it, two entries duplicate it. */
  frames?: readonly (string | object)[];
  /** Send them this long later; frames after it are not held back (so it also reorders). */
  delayMs?: number;
  /** Send them over another client's connection, by peer id: down, to that browser; up, as if from it. */
  redirectTo?: string;
}

export type Hook = (frame: InterceptedFrame) => Rewrite | 'drop' | undefined;

export interface TamperingProxy {
  /** http://127.0.0.1:<proxy port>: open pages here. */
  readonly origin: string;
  /** ws://127.0.0.1:<proxy port>/signal */
  readonly signalUrl: string;
  /** The real server behind the proxy. */
  readonly server: RunningServer;
  /** Every frame that reached the proxy, in order, both directions: what the attacker saw. */
  readonly seen: readonly SeenFrame[];
  /** What went wrong in the proxy itself (a request it could not forward): a test's setup failing, not an attack. */
  readonly problems: readonly string[];
  readonly clients: readonly ProxiedClient[];
  /** Decides the fate of each frame from a browser to the server; undefined passes everything. */
  onUp: Hook | undefined;
  /** Decides the fate of each frame from the server to a browser; undefined passes everything. */
  onDown: Hook | undefined;
  /**
   * Resolves with the peer id of the `count`-th connection to receive a `welcome` (1-based), in
   * the order the server welcomed them; rejects after `timeoutMs`.
   */
  welcomed(count: number, timeoutMs?: number): Promise<string>;
  /** The room id of the first `join` that passed (a browser sends it in clear: the server needs it). */
  roomId(timeoutMs?: number): Promise<string>;
  /** Sends a made-up frame to the browser whose connection has `peerId` (its newest open one). */
  injectDown(peerId: string, frame: string | object): void;
  /** Sends a made-up frame to the server over the connection of `peerId`, as if it came from it. */
  injectUp(peerId: string, frame: string | object): void;
  /** Closes every bridged connection, the proxy, and the real server. */
  close(): Promise<void>;
}

interface Bridge {
  readonly state: { number: number; peerId: string | undefined; roomId: string | undefined; open: boolean };
  readonly browser: WebSocket;
  readonly upstream: WebSocket;
}

/** Milliseconds to wait for a welcome or a join before giving up, unless told otherwise. */
const DEFAULT_WAIT_MS = 10_000;

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const asText = (frame: string | object): string => (typeof frame === 'string' ? frame : JSON.stringify(frame));

/** A close code that may be sent in a close frame (1005 and 1006 only describe a missing one). */
const sendableCode = (code: number): boolean => code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);

/**
 * Starts a real Parley server (with `options`) and the proxy in front of it. The server accepts
 * only its own origin here, and the proxy presents that origin on each upgrade: to the pages the
 * proxy is the server, so it may claim what it likes (the Origin check guards against other
 * sites' pages, not against the server in the middle).
 */
export async function startTamperingProxy(options: BuildAppOptions = {}): Promise<TamperingProxy> {
  const server = await startServer({ allowedOrigins: [], ...options });
  const started = performance.now();
  const seen: SeenFrame[] = [];
  const problems: string[] = [];
  // A fresh connection per request: no pooled socket the server may have closed meanwhile.
  const agent = new Agent({ keepAlive: false });
  const bridges: Bridge[] = [];
  const welcomeWaiters: (() => void)[] = [];
  const welcomedIds: string[] = [];
  const sockets = new Set<Socket>();
  const upstreamHost = `127.0.0.1:${server.port}`;
  let closing = false;

  const notify = (): void => {
    for (const waiter of welcomeWaiters.splice(0)) waiter();
  };

  const record = (direction: Direction, bridge: Bridge, text: string, fate: SeenFrame['fate']): void => {
    seen.push({ direction, client: bridge.state.number, peerId: bridge.state.peerId, text, fate, at: Math.round(performance.now() - started) });
  };

  /** The newest open connection of a peer: a browser that reconnected has more than one. */
  const bridgeOf = (peerId: string): Bridge => {
    const bridge = bridges.filter((candidate) => candidate.state.peerId === peerId && candidate.state.open).at(-1);
    if (!bridge) throw new Error(`no open proxied connection has peer id ${peerId}`);
    return bridge;
  };

  const deliver = (direction: Direction, bridge: Bridge, text: string, binary: boolean): void => {
    const socket = direction === 'up' ? bridge.upstream : bridge.browser;
    if (socket.readyState === WebSocket.OPEN) socket.send(text, { binary });
  };


  /** Hands one frame to the hook of its direction and carries out the verdict. */
  const relay = (direction: Direction, bridge: Bridge, data: RawData, binary: boolean): void => {
    const text = Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data).toString();
    const message = binary ? undefined : parse(text);
    // Learn who is who before the hook runs, so a hook can already address this client by its id.
    if (direction === 'up' && message?.type === 'join' && typeof message.room === 'string') bridge.state.roomId = message.room;
    if (direction === 'down' && message?.type === 'welcome' && typeof message.id === 'string') {
      bridge.state.peerId = message.id;
      welcomedIds.push(message.id);
      notify();
    }
    const hook = direction === 'up' ? proxy.onUp : proxy.onDown;
    const verdict = hook?.({ direction, client: { ...bridge.state }, text, message });
    if (verdict === undefined) {
      record(direction, bridge, text, 'passed');
      deliver(direction, bridge, text, binary);
      return;
    }
    const frames = verdict === 'drop' ? [] : (verdict.frames ?? [text]).map(asText);
    record(direction, bridge, text, frames.length === 0 ? 'dropped' : 'rewritten');
    if (frames.length === 0) return;
    const target = verdict !== 'drop' && verdict.redirectTo !== undefined ? bridgeOf(verdict.redirectTo) : bridge;
    const send = (): void => {
      for (const frame of frames) deliver(direction, target, frame, binary);
    };
    if (verdict !== 'drop' && verdict.delayMs !== undefined) setTimeout(send, verdict.delayMs);
    else send();
  };

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  /**
   * A `/signal` upgrade: the proxy first opens its own connection to the real server, then completes
   * the browser's handshake, so a refusal (403, 429, 503) reaches the browser as the server gave it.
   */
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (closing || new URL(request.url ?? '/', 'http://proxy').pathname !== SIGNAL_PATH) {
      socket.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    // The browser's Origin is the proxy's; the server sees its own, as behind a same-origin proxy.
    if (request.headers.origin !== undefined) headers.origin = server.origin;
    const upstream = new WebSocket(`ws://${upstreamHost}${request.url ?? SIGNAL_PATH}`, { headers, perMessageDeflate: false });
    let refused = false;
    upstream.once('unexpected-response', (upgradeRequest, response) => {
      refused = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        socket.end(
          `HTTP/1.1 ${response.statusCode ?? 502} ${response.statusMessage ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString()}`,
        );
        upgradeRequest.destroy();
      });
    });
    upstream.on('error', (error) => {
      // A refusal is answered above, once its body is in; anything else just ends the browser's try.
      if (refused) return;
      if (!closing) problems.push(`upgrade ${request.url}: ${error.message}`);
      socket.destroy();
    });
    upstream.once('open', () => {
      if (closing) {
        upstream.terminate();
        socket.destroy();
        return;
      }
      wss.handleUpgrade(request, socket, head, (browser) => {
        const bridge: Bridge = { state: { number: bridges.length + 1, peerId: undefined, roomId: undefined, open: true }, browser, upstream };
        bridges.push(bridge);
        // Listeners are attached before this callback returns, so no frame is missed.
        browser.on('message', (data, binary) => relay('up', bridge, data, binary));
        upstream.on('message', (data, binary) => relay('down', bridge, data, binary));
        browser.on('error', () => undefined);
        // A close on one side is passed on to the other, with its code when it may be sent.
        browser.once('close', (code, reason) => {
          bridge.state.open = false;
          if (sendableCode(code)) upstream.close(code, reason);
          else upstream.terminate();
        });
        upstream.once('close', (code, reason) => {
          bridge.state.open = false;
          if (sendableCode(code)) browser.close(code, reason);
          else browser.terminate();
        });
      });
    });
  };

  /** Everything else (the app's page and assets) goes to the real server untouched. */
  const http: Server = createServer((request, response) => {
    const forwarded = httpRequest(
      { agent, host: '127.0.0.1', port: server.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstreamHost } },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    forwarded.on('error', (error) => {
      if (!closing) problems.push(`${request.method} ${request.url}: ${error.message}`);
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(forwarded);
  });
  http.on('upgrade', onUpgrade);
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  const proxy: TamperingProxy = {
    origin: `http://127.0.0.1:${port}`,
    signalUrl: `ws://127.0.0.1:${port}${SIGNAL_PATH}`,
    server,
    seen,
    problems,
    get clients() {
      return bridges.map((bridge) => ({ ...bridge.state }));
    },
    onUp: undefined,
    onDown: undefined,
    async welcomed(count, timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      while (welcomedIds.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for welcome number ${count} (${welcomedIds.length} so far)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          welcomeWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return welcomedIds[count - 1]!;
    },
    async roomId(timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const room = bridges.find((bridge) => bridge.state.roomId !== undefined)?.state.roomId;
        if (room !== undefined) return room;
        if (Date.now() > deadline) throw new Error('timed out waiting for a join');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    injectDown(peerId, frame) {
      const bridge = bridgeOf(peerId);
      record('down', bridge, asText(frame), 'injected');
      deliver('down', bridge, asText(frame), false);
    },
    injectUp(peerId, frame) {
      const bridge = bridgeOf(peerId);
      record('up', bridge, asText(frame), 'injected');
      deliver('up', bridge, asText(frame), false);
    },
    async close() {
      closing = true;
      for (const bridge of bridges) {
        bridge.browser.terminate();
        bridge.upstream.terminate();
      }
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
    },
  };
  return proxy;
}

// ---- what an attacker can make of sealed payloads ---------------------------------------------

/** A sealed signal's fields, if `data` has exactly the sealed layout {k, n, c}. */
export function sealedFields(data: unknown): { k: string; n: number; c: string } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as Record<string, unknown>;
  const keys = Object.keys(record).sort().join(',');
  if (keys !== 'c,k,n' || typeof record.k !== 'string' || typeof record.n !== 'number' || typeof record.c !== 'string') return undefined;
  return { k: record.k, n: record.n, c: record.c };
}

/** `c` with one bit of one byte flipped (a byte well inside the ciphertext, past the nonce). */
export function flipOneByte(c: string, index = 20): string {
  const bytes = Buffer.from(c, 'base64url');
  bytes[Math.min(index, bytes.length - 1)]! ^= 0x01;
  return bytes.toString('base64url');
}
