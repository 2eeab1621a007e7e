/**
 * Keeps what people see of each direct connection current: the path it takes (local network,
 * through NAT, relayed) and its round trip, read from the browser every few seconds while
 * connected, and the reason when no path could be found. Records into the participant registry;
 * tells the room when a connection's route is first known or changes, and when one fails.
 */
import { systemClock, type Clock, type IntervalHandle } from '../shared/clock.js';
import type { LinkFailure, LinkPath } from '../transport/link-diagnosis.js';
import type { ParticipantRegistry } from './participants.js';

/** How often round trips are read again; a getStats() pass per connection costs well under a millisecond. */
export const PATH_REFRESH_MS = 5_000;
/** A first reading that could not tell the path yet (the browser's stats lag) is tried again this soon. */
export const PATH_RETRY_MS = 500;
/** At most this many quick retries per connection; the regular readings go on anyway. */
const MAX_QUICK_RETRIES = 6;

export interface LinkPathsOptions {
  participants: ParticipantRegistry;
  /** The path the connection to `id` takes now (PeerMesh.path). */
  probe(id: string): Promise<LinkPath | undefined>;
  /** The route of `id`'s connection is known, or changed (not called for round-trip changes alone). */
  onRoute(id: string, path: LinkPath): void;
  /** An attempt to connect to `id` found no path. */
  onFailure(id: string, failure: LinkFailure): void;
  clock?: Clock;
}

export class LinkPaths {
  readonly #options: LinkPathsOptions;
  readonly #clock: Clock;
  readonly #connected = new Set<string>();
  /** Quick retries left for connections whose path is not known yet. */
  readonly #retriesLeft = new Map<string, number>();
  #timer: IntervalHandle | undefined;

  constructor(options: LinkPathsOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** `id`'s connection is open and proven: read its path now and every PATH_REFRESH_MS. */
  connected(id: string): void {
    this.#connected.add(id);
    this.#retriesLeft.set(id, MAX_QUICK_RETRIES);
    this.#options.participants.update(id, { linkFailure: undefined });
    void this.#read(id);
    this.#timer ??= this.#clock.setInterval(() => {
      for (const peer of this.#connected) void this.#read(peer);
    }, PATH_REFRESH_MS);
  }

  /** `id`'s connection ended; `failure` if it never found a path. */
  closed(id: string, failure?: LinkFailure): void {
    this.#forget(id);
    this.#options.participants.update(id, { path: undefined, ...(failure ? { linkFailure: failure } : {}) });
    if (failure) this.#options.onFailure(id, failure);
  }

  /** `id` is gone from the room. */
  removed(id: string): void {
    this.#forget(id);
  }

  dispose(): void {
    this.#connected.clear();
    this.#stopTimer();
  }

  #forget(id: string): void {
    this.#connected.delete(id);
    this.#retriesLeft.delete(id);
    if (this.#connected.size === 0) this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #read(id: string): Promise<void> {
    let path: LinkPath | undefined;
    try {
      path = await this.#options.probe(id);
    } catch {
      return; // the connection closed while its stats were read
    }
    if (!this.#connected.has(id)) return;
    if (!path) {
      const left = this.#retriesLeft.get(id) ?? 0;
      if (left > 0 && this.#options.participants.get(id)?.path === undefined) {
        this.#retriesLeft.set(id, left - 1);
        this.#clock.setTimeout(() => void this.#read(id), PATH_RETRY_MS);
      }
      return;
    }
    const before = this.#options.participants.get(id)?.path;
    this.#options.participants.update(id, { path });
    if (!before || before.route !== path.route || before.localCandidate !== path.localCandidate || before.remoteCandidate !== path.remoteCandidate) {
      this.#options.onRoute(id, path);
    }
  }
}
