/**
 * Every open connection: the session of each socket, and how many connections each client address
 * holds, for the MAX_CONNECTIONS_PER_IP cap checked before the upgrade. One map entry per
 * connection: an idle server's memory is mostly its connections.
 */

/** What the registry needs of a session: the client address it counts the connection against. */
export interface AddressedSession {
  readonly address: string;
}

export class ConnectionRegistry<Socket extends object, Session extends AddressedSession> {
  readonly #sessions = new Map<Socket, Session>();
  readonly #perAddress = new Map<string, number>();

  constructor(private readonly maxConnectionsPerAddress: number) {}

  /** Whether another connection from this address is within the cap (checked before the upgrade). */
  admits(address: string): boolean {
    return (this.#perAddress.get(address) ?? 0) < this.maxConnectionsPerAddress;
  }

  add(socket: Socket, session: Session): void {
    this.#sessions.set(socket, session);
    this.#perAddress.set(session.address, (this.#perAddress.get(session.address) ?? 0) + 1);
  }

  sessionOf(socket: Socket): Session | undefined {
    return this.#sessions.get(socket);
  }

  has(socket: Socket): boolean {
    return this.#sessions.has(socket);
  }

  /** Forgets a socket that has closed; returns its session (undefined if it was not here). */
  remove(socket: Socket): Session | undefined {
    const session = this.#sessions.get(socket);
    if (!session) return undefined;
    this.#sessions.delete(socket);
    const remaining = (this.#perAddress.get(session.address) ?? 1) - 1;
    if (remaining > 0) this.#perAddress.set(session.address, remaining);
    else this.#perAddress.delete(session.address);
    return session;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** The open sockets, in the order they connected. */
  sockets(): IterableIterator<Socket> {
    return this.#sessions.keys();
  }
}
