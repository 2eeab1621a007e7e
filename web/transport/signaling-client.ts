/**
 * The browser side of the signaling WebSocket: connects, sends protocol messages, and emits the
 * server's messages and the connection's state. It does not interpret messages; the room does.
 */
import { Emitter } from '../emitter.js';
import { ServerMessageType, type ClientMessage, type ServerMessage } from '../../signaling/protocol.js';

export type SignalingState = 'connecting' | 'open' | 'closed';

export interface SignalingStateChange {
  state: SignalingState;
  /** The close code, when state is 'closed'. */
  code?: number;
  reason?: string;
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

  constructor(
    readonly url: string,
    private readonly WebSocketImpl: WebSocketConstructor = globalThis.WebSocket,
  ) {
    super();
  }

  get state(): SignalingState {
    return this.#state;
  }

  connect(): void {
    if (this.#socket) return;
    this.setState({ state: 'connecting' });
    let socket: WebSocket;
    try {
      socket = new this.WebSocketImpl(this.url);
    } catch (error) {
      // An unparsable URL throws synchronously; report it as a closed connection with the reason.
      this.setState({ state: 'closed', code: 1006, reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.#socket = socket;
    socket.onopen = () => this.setState({ state: 'open' });
    socket.onmessage = (event: MessageEvent) => this.receive(event.data);
    socket.onclose = (event: CloseEvent) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.setState({ state: 'closed', code: event.code, reason: event.reason });
    };
    // 'error' is always followed by 'close', which carries what there is to know.
    socket.onerror = () => undefined;
  }

  /** Sends a message; returns false if the socket is not open (the message is not queued). */
  send(message: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== 1) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000, 'left');
    }
    if (this.#state !== 'closed') this.setState({ state: 'closed', code: 1000, reason: 'left' });
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
