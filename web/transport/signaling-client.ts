/**
 * The browser side of the signaling WebSocket: connects, sends protocol messages, emits the
 * server's messages and the connection's state, and reconnects by itself with backoff and jitter
 * when the connection drops (unless the server said not to). It does not interpret messages.
 */
import { Emitter } from '../shared/emitter.js';
import { reconnectDelay } from './reconnect-policy.js';
import { SOCKET_OPEN, takePreconnectedSocket } from './signaling-preconnect.js';
import {
  CLIENT_LEFT_REASON,
  CloseCode,
  FINAL_CLOSE_CODES,
  ORIGIN_CHECK_PATH,
  ServerMessageType,
  type ClientMessage,
  type OriginCheck,
  type ServerMessage,
} from '../../protocol/signaling.js';

/**
 * - connecting: a socket is opening
 * - open: connected
 * - waiting: the connection dropped; another attempt is scheduled at `retryAt`
 * - closed: for good (close() was called, or the server refused with a final close code)
 */
export type SignalingState = 'connecting' | 'open' | 'waiting' | 'closed';

export interface SignalingStateChange {
  state: SignalingState;
  /** The close code of the connection that ended, for 'waiting' and 'closed'. */
  code?: number;
  reason?: string;
  /** For 'waiting': when the next attempt starts (Date.now() clock). */
  retryAt?: number;
  /** For 'closed': the server does not accept connections from this page's origin (ALLOWED_ORIGINS). */
  originRefused?: true;
}

interface SignalingEvents {
  state: SignalingStateChange;
  message: ServerMessage;
  /** A frame from the server that is not a protocol message (a buggy or hostile server). */
  invalid: string;
}

/** The WebSocket constructor to use; injectable so the same class runs under Node with `ws`. */
export type WebSocketConstructor = new (url: string) => WebSocket;

const KNOWN_SERVER_TYPES = new Set<string>(Object.values(ServerMessageType));
/** Server frames are small; anything far larger is not ours. */
const MAX_SERVER_FRAME_LENGTH = 1024 * 1024;

export class SignalingClient extends Emitter<SignalingEvents> {
  #socket: WebSocket | undefined;
  #state: SignalingState = 'closed';
  #stopped = true;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  /** When the current outage began (Date.now()), while disconnected. */
  #outageStartedAt: number | undefined;
  /** The server asked for no attempt before this (Date.now()), for the next retry only. */
  #notBefore = 0;
  /** Whether this page asked the server if its origin may connect (once, after a refused socket). */
  #originChecked = false;

  constructor(
    readonly url: string,
    private readonly WebSocketImpl: WebSocketConstructor = globalThis.WebSocket,
  ) {
    super();
  }

  get state(): SignalingState {
    return this.#state;
  }

  /** Starts connecting, and keeps reconnecting until close(). */
  connect(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    globalThis.addEventListener?.('online', this.#retryNow);
    this.open();
  }

  /** Sends a message; returns false if the socket is not open (the message is not queued). */
  send(message: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== SOCKET_OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  /**
   * The server said when to try again (a join refused for now): the next attempt after this
   * connection closes waits at least until then (Date.now() clock).
   */
  retryNoSoonerThan(at: number): void {
    this.#notBefore = Math.max(this.#notBefore, at);
  }

  /** Closes the connection for good. */
  close(): void {
    this.#stopped = true;
    globalThis.removeEventListener?.('online', this.#retryNow);
    clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(CloseCode.Normal, CLIENT_LEFT_REASON);
    }
    if (this.#state !== 'closed') this.setState({ state: 'closed', code: CloseCode.Normal, reason: CLIENT_LEFT_REASON });
  }

  /** The network came back: try at once instead of waiting out the backoff. */
  readonly #retryNow = (): void => {
    if (this.#state !== 'waiting') return;
    clearTimeout(this.#retryTimer);
    this.open();
  };

  private open(): void {
    this.setState({ state: 'connecting' });
    let socket: WebSocket;
    try {
      // The first attempt adopts the socket index.html's inline script may have started opening.
      socket = (this.#attempt === 0 ? takePreconnectedSocket(this.url) : undefined) ?? new this.WebSocketImpl(this.url);
    } catch (error) {
      // An unusable URL throws synchronously: no retry can fix that.
      this.#stopped = true;
      this.setState({ state: 'closed', code: CloseCode.Abnormal, reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.#socket = socket;
    let opened = false;
    const onOpen = (): void => {
      opened = true;
      this.#attempt = 0;
      this.#outageStartedAt = undefined;
      this.setState({ state: 'open' });
    };
    socket.onopen = onOpen;
    socket.onmessage = (event: MessageEvent) => this.receive(event.data);
    socket.onclose = (event: CloseEvent) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.onSocketClosed(event.code, event.reason);
      // Refused before it opened, and browsers do not say why: perhaps this site is not allowed.
      if (!opened && event.code === CloseCode.Abnormal) void this.checkOrigin();
    };
    // 'error' is always followed by 'close', which carries what there is to know.
    socket.onerror = () => undefined;
    // An adopted socket may already be open (its 'open' event has been and gone): say so now,
    // synchronously like 'connecting' above, so the join goes out before the page renders.
    if (socket.readyState === SOCKET_OPEN) onOpen();
  }

  private onSocketClosed(code: number, reason: string): void {
    if (this.#stopped) return;
    if (FINAL_CLOSE_CODES.includes(code)) {
      this.#stopped = true;
      this.setState({ state: 'closed', code, reason });
      return;
    }
    const now = Date.now();
    this.#outageStartedAt ??= now;
    this.#attempt += 1;
    const delay = Math.max(reconnectDelay(this.#attempt, now - this.#outageStartedAt), this.#notBefore - now);
    this.#notBefore = 0;
    this.#retryTimer = setTimeout(() => this.open(), delay);
    this.setState({ state: 'waiting', code, reason, retryAt: now + delay });
  }

  /**
   * Asks the server, once, whether this page's origin may connect at all. If not, no retry can
   * help: the client stops and says so. Any other answer, or none, leaves the retries running.
   */
  private async checkOrigin(): Promise<void> {
    if (this.#originChecked || typeof fetch !== 'function' || typeof location === 'undefined') return;
    this.#originChecked = true;
    let answer: OriginCheck;
    try {
      const url = new URL(ORIGIN_CHECK_PATH, this.url);
      url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
      const response = await fetch(url, { cache: 'no-store', credentials: 'omit' });
      if (!response.ok) return;
      answer = (await response.json()) as OriginCheck;
    } catch {
      return;
    }
    if (answer.allowed !== false || this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
    }
    this.setState({ state: 'closed', code: CloseCode.Abnormal, reason: 'origin not allowed', originRefused: true });
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string' || data.length > MAX_SERVER_FRAME_LENGTH) {
      this.emit('invalid', 'non-text or oversized frame');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      this.emit('invalid', 'frame is not JSON');
      return;
    }
    const type = (message as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !KNOWN_SERVER_TYPES.has(type)) {
      this.emit('invalid', 'unknown message type');
      return;
    }
    this.emit('message', message as ServerMessage);
  }

  private setState(change: SignalingStateChange): void {
    this.#state = change.state;
    this.emit('state', change);
  }
}
