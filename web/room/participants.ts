/**
 * The participant registry: the other members this participant knows of, their names (which they
 * tell us themselves, once proven), whether the server lists them right now, the state of the
 * direct connection to each as people see it, and what we know of who they are (their proof,
 * safety code, whether we verified them). It only records; the link supervisor and the room
 * decide, and the room turns the registry's events into its own.
 */
import { Emitter } from '../shared/emitter.js';
import type { Member } from '../../protocol/signaling.js';
import type { VerificationFailure } from './peer-verifier.js';
import type { LinkFailure, LinkPath } from '../transport/link-diagnosis.js';

/** 'reconnecting': the direct connection broke and is being rebuilt; 'failed': rebuilding gave up. */
export type PeerConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed';

/**
 * Whether the peer has proven, on its current connection, that it holds the room key and its own
 * signing key: not yet, yes, or it failed (and was disconnected).
 */
export type ProofState = 'pending' | 'proven' | 'refused';

/** What went wrong with a peer: its proof failed, or signaling meant for it was tampered with. */
export type PeerProblem = VerificationFailure | 'tampered-signaling';

/** Characters of the peer id shown beside a name: tells two people of the same name apart. */
export const TAG_LENGTH = 4;

/** The short tag of a peer id. The id is a hash of the peer's signing key, so the tag is too. */
export function tagOf(peerId: string): string {
  return peerId.slice(0, TAG_LENGTH);
}

export interface Participant {
  /** The peer id: the same for this person's tab across reloads and reconnects. */
  readonly id: string;
  /** What the peer calls itself; '' until it has proven itself and told us. */
  readonly name: string;
  /** tagOf(id). */
  readonly tag: string;
  readonly state: PeerConnectionState;
  readonly proof: ProofState;
  readonly problem?: PeerProblem;
  /** The safety code of the current connection, once proven. */
  readonly safetyCode?: string;
  /** This person marked this peer's key as verified (remembered for the room). */
  readonly verified: boolean;
  /** Someone of this name was verified here before, with a different key. */
  readonly identityChanged: boolean;
  /** How the direct connection goes (local network, through NAT, relayed) and its round trip, while connected. */
  readonly path?: LinkPath;
  /** Why the last attempt to connect found no path, until one is found. */
  readonly linkFailure?: LinkFailure;
}

type ParticipantRecord = { -readonly [K in keyof Participant]: Participant[K] } & {
  /** The server lists it as a member right now (false while our signaling is down). */
  inRoom: boolean;
};

interface ParticipantEvents {
  /** A member the server listed (again). `isNew`: it was not known before. */
  admitted: { participant: Participant; isNew: boolean };
  removed: Participant;
  /** A name or a connection state changed. */
  changed: Participant;
}

/** What others see of a participant: a frozen copy, never the record itself. */
function toParticipant({ inRoom: _inRoom, ...participant }: ParticipantRecord): Participant {
  return Object.freeze(participant);
}

export class ParticipantRegistry extends Emitter<ParticipantEvents> {
  readonly #records = new Map<string, ParticipantRecord>();

  has(id: string): boolean {
    return this.#records.has(id);
  }

  get(id: string): Participant | undefined {
    const record = this.#records.get(id);
    return record && toParticipant(record);
  }

  /** Whether the server lists `id` as a member right now. */
  inRoom(id: string): boolean {
    return this.#records.get(id)?.inRoom === true;
  }

  nameOf(id: string): string | undefined {
    return this.#records.get(id)?.name;
  }

  ids(): string[] {
    return [...this.#records.keys()];
  }

  /** The members, in the order they were first seen. */
  list(): Participant[] {
    return [...this.#records.values()].map(toParticipant);
  }

  /** The server lists `member`: add it (in `state`), or mark a known one in the room again. */
  admit(member: Member, state: PeerConnectionState): void {
    const existing = this.#records.get(member.id);
    if (existing) {
      existing.inRoom = true;
      this.emit('admitted', { participant: toParticipant(existing), isNew: false });
      return;
    }
    const record: ParticipantRecord = {
      id: member.id,
      name: '',
      tag: tagOf(member.id),
      state,
      proof: 'pending',
      verified: false,
      identityChanged: false,
      inRoom: true,
    };
    this.#records.set(member.id, record);
    this.emit('admitted', { participant: toParticipant(record), isNew: true });
  }

  /** The server no longer lists `id` (it left, or our signaling is down); it stays known. */
  markOutOfRoom(id: string): void {
    const record = this.#records.get(id);
    if (record) record.inRoom = false;
  }

  rename(id: string, name: string): void {
    this.update(id, { name });
  }

  /** Changes what we know of who `id` is (its proof, problem, safety code, verification). */
  update(id: string, changes: Partial<Pick<ParticipantRecord, 'name' | 'proof' | 'problem' | 'safetyCode' | 'verified' | 'identityChanged' | 'path' | 'linkFailure'>>): void {
    const record = this.#records.get(id);
    if (!record) return;
    let changed = false;
    for (const [key, value] of Object.entries(changes) as [keyof typeof changes, unknown][]) {
      if (record[key] === value || (key === 'path' && samePath(record.path, value as LinkPath | undefined))) continue;
      if (value === undefined) delete record[key];
      else (record as Record<string, unknown>)[key] = value;
      changed = true;
    }
    if (changed) this.emit('changed', toParticipant(record));
  }

  setState(id: string, state: PeerConnectionState): void {
    const record = this.#records.get(id);
    if (!record || record.state === state) return;
    record.state = state;
    this.emit('changed', toParticipant(record));
  }

  remove(id: string): void {
    const record = this.#records.get(id);
    if (!record) return;
    this.#records.delete(id);
    this.emit('removed', toParticipant(record));
  }

  /** Forgets everyone at once, silently (the room is closing). */
  clear(): void {
    this.#records.clear();
  }
}

function samePath(a: LinkPath | undefined, b: LinkPath | undefined): boolean {
  return a !== undefined && b !== undefined && a.route === b.route && a.localCandidate === b.localCandidate && a.remoteCandidate === b.remoteCandidate && a.protocol === b.protocol && a.roundTripMs === b.roundTripMs;
}
