/**
 * Parley's built-in STUN server: one UDP socket that answers Binding requests (binding.ts) with the
 * address they came from, so that browsers behind ordinary NATs find a direct path with nothing
 * contacting a third party. A UDP source can be forged, so the server must not be worth reflecting
 * through: an answer is under three times its request (a bare request is 20 bytes, the answer
 * to it 40 for IPv4 and 52 for IPv6), and each source address (an IPv6 /64, as everywhere in the
 * server: client-address.ts) gets a limited rate of answers.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { bindingSuccess, parseBindingRequest, unknownAttributesError } from './binding.js';
import { clientAddressKey } from '../client-address.js';
import { TokenBucket } from '../token-bucket.js';

export interface StunServerOptions {
  host: string;
  /** 0 picks a free port (tests); the server's setting turns the whole server off with 0 instead. */
  port: number;
  /** Answers per second to one source address; browsers send a few per gathering. */
  answersPerSecondPerAddress?: number;
  /** Most source addresses remembered for the rate limit at once; beyond it, the oldest are forgotten. */
  maxTrackedAddresses?: number;
}

export interface StunCounters {
  answered: number;
  refused: number;
  ignored: number;
  rateLimited: number;
}

export class StunServer {
  readonly counters: StunCounters = { answered: 0, refused: 0, ignored: 0, rateLimited: 0 };
  readonly #socket: Socket;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #perSecond: number;
  readonly #maxTracked: number;

  private constructor(socket: Socket, options: StunServerOptions) {
    this.#socket = socket;
    this.#perSecond = options.answersPerSecondPerAddress ?? 20;
    this.#maxTracked = options.maxTrackedAddresses ?? 10_000;
    socket.on('message', (datagram, from) => this.#answer(datagram, from));
  }

  /** Binds the socket; rejects if the port is taken or not allowed. */
  static async listen(options: StunServerOptions): Promise<StunServer> {
    const socket = createSocket({ type: options.host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // A send that fails (the client's port unreachable) is not the server's problem.
    socket.on('error', () => undefined);
    return new StunServer(socket, options);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #answer(datagram: Buffer, from: RemoteInfo): void {
    const request = parseBindingRequest(datagram);
    if (request.kind === 'ignore') {
      this.counters.ignored += 1;
      return;
    }
    if (!this.#admit(from.address)) {
      this.counters.rateLimited += 1;
      return;
    }
    if (request.kind === 'unknown-attributes') {
      this.counters.refused += 1;
      this.#socket.send(unknownAttributesError(request.transactionId, request.attributes), from.port, from.address);
      return;
    }
    this.counters.answered += 1;
    this.#socket.send(bindingSuccess(request.transactionId, from.address, from.port), from.port, from.address);
  }

  #admit(address: string): boolean {
    const key = clientAddressKey(address);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxTracked) {
        // Forget the address first seen longest ago (a Map iterates in insertion order).
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
      bucket = new TokenBucket(this.#perSecond, this.#perSecond);
      this.#buckets.set(key, bucket);
    }
    return bucket.take();
  }
}
