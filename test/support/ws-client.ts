// A WebSocket test client for the signaling protocol: sends frames and awaits the ones it expects.
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type ClientMessage, type JoinMessage, type ServerMessage, type WelcomeMessage } from '../../protocol/signaling.js';
import { newParticipant, type Participant } from './participant.js';

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly received: ServerMessage[] = [];
  readonly closed: Promise<Closed>;
  #waiters: { predicate: (message: ServerMessage) => boolean; resolve: (message: ServerMessage) => void }[] = [];
  #cursor = 0;
  #barriers = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      this.received.push(message);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.predicate(message)) return true;
        waiter.resolve(message);
        return false;
      });
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, options);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new TestClient(socket);
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Joins `room` as `participant` (a new one unless given) and resolves with the welcome. */
  async join(room: string, participant: Participant = newParticipant()): Promise<WelcomeMessage> {
    this.send({ type: 'join', v: PROTOCOL_VERSION, room, session: participant.session, key: participant.key } satisfies JoinMessage);
    return this.next('welcome');
  }

  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.socket.send(data, { binary: options.binary ?? false });
  }

  /**
   * Resolves with the next message (after those already consumed) of the given type, or matching
   * the predicate. Messages of other types in between are skipped.
   */
  async next<T extends ServerMessage['type']>(
    type: T,
    predicate: (message: Extract<ServerMessage, { type: T }>) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const matches = (message: ServerMessage): boolean =>
      message.type === type && predicate(message as Extract<ServerMessage, { type: T }>);
    return (await this.nextMatching(matches, timeoutMs, `a "${type}" message`)) as Extract<ServerMessage, { type: T }>;
  }

  /** Resolves with the next message (after those already consumed) that `matches`. */
  private nextMatching(matches: (message: ServerMessage) => boolean, timeoutMs: number, what = 'a matching message'): Promise<ServerMessage> {
    while (this.#cursor < this.received.length) {
      const message = this.received[this.#cursor++]!;
      if (matches(message)) return Promise.resolve(message);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.#waiters.push({
        predicate: matches,
        resolve: (message) => {
          clearTimeout(timer);
          this.#cursor = this.received.length;
          resolve(message);
        },
      });
    });
  }

  /** The answer to a join just sent: its welcome, or the error refusing it. */
  async joinAnswer(timeoutMs = 3000): Promise<Extract<ServerMessage, { type: 'welcome' | 'error' }>> {
    const answer = await this.nextMatching((message) => message.type === 'welcome' || message.type === 'error', timeoutMs);
    return answer as Extract<ServerMessage, { type: 'welcome' | 'error' }>;
  }

  /**
   * Round trip through the server: everything the server sent this client before handling the
   * barrier frame has arrived once this resolves (one socket delivers in order). Used to assert
   * that something did NOT arrive without sleeping.
   */
  async barrier(): Promise<void> {
    const ref = `barrier-${++this.#barriers}`;
    this.sendRaw(JSON.stringify({ type: ref }));
    await this.next('error', (message) => message.ref === ref);
  }

  /** Messages of a type received so far. */
  all<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.received.filter((message) => message.type === type) as Extract<ServerMessage, { type: T }>[];
  }

  close(): void {
    this.socket.close();
  }
}
