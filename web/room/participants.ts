/**
 * The participant registry: the other members this participant knows of, their names, whether the
 * server lists them right now, and the state of the direct connection to each as people see it.
 * It only records; the link supervisor decides, and the room turns the registry's events into its
 * own.
 */
import { Emitter } from '../shared/emitter.js';
import type { Member } from '../../protocol/signaling.js';

/** 'reconnecting': the direct connection broke and is being rebuilt; 'failed': rebuilding gave up. */
export type PeerConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface Participant {
  /** The peer id: the same for this person's tab across reloads and reconnects. */
  readonly id: string;
  readonly name: string;
  readonly state: PeerConnectionState;
}

interface ParticipantRecord {
  readonly id: string;
  name: string;
  state: PeerConnectionState;
  /** The server lists it as a member right now (false while our signaling is down). */
  inRoom: boolean;
}

interface ParticipantEvents {
  /** A member the server listed (again). `isNew`: it was not known before. */
  admitted: { participant: Participant; isNew: boolean };
  removed: Participant;
  /** A name or a connection state changed. */
  changed: Participant;
}

/** What others see of a participant: a frozen copy, never the record itself. */
function toParticipant({ id, name, state }: ParticipantRecord): Participant {
  return Object.freeze({ id, name, state });
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
      existing.name = member.name;
      this.emit('admitted', { participant: toParticipant(existing), isNew: false });
      return;
    }
    const record: ParticipantRecord = { id: member.id, name: member.name, state, inRoom: true };
    this.#records.set(member.id, record);
    this.emit('admitted', { participant: toParticipant(record), isNew: true });
  }

  /** The server no longer lists `id` (it left, or our signaling is down); it stays known. */
  markOutOfRoom(id: string): void {
    const record = this.#records.get(id);
    if (record) record.inRoom = false;
  }

  rename(id: string, name: string): void {
    const record = this.#records.get(id);
    if (!record) return;
    record.name = name;
    this.emit('changed', toParticipant(record));
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
