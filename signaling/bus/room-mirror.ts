/**
 * An instance's view of the rooms its members are in, when rooms are shared over a bus: members
 * on other instances stand in the local RoomRegistry as RemoteMembers, so that relaying a signal,
 * or telling a room that someone came or went, works the same whoever is where. What arrives from
 * other instances (BusEvent) is applied here; what this instance must tell them is sent from here.
 * A room is mirrored only while it has a member on this instance.
 */
import { LeaveReason, ServerMessageType, type PeerJoinedMessage, type PeerLeftMessage } from '../../protocol/signaling.js';
import type { MemberHandle } from '../member-handle.js';
import type { RoomMember, RoomRegistry } from '../rooms.js';
import type { BusEvent, BusMember, RoomBus } from './room-bus.js';

/** A member connected to another instance: what is sent to it goes over the bus. */
export class RemoteMember implements MemberHandle {
  readonly remote = true;
  /** Addresses are counted on the bus (redis-room-bus.ts), where every instance's members are. */
  readonly address = '';

  constructor(
    private readonly bus: RoomBus,
    readonly room: string,
    readonly id: string,
    public instance: string,
  ) {}

  sendRaw(frame: string): void {
    this.bus.send(this.instance, { type: 'frame', room: this.room, to: this.id, frame });
  }

  send(message: Parameters<MemberHandle['send']>[0]): void {
    this.sendRaw(JSON.stringify(message));
  }

  replacedByNewerConnection(): void {
    this.bus.send(this.instance, { type: 'replaced', room: this.room, id: this.id });
  }
}

/** Sends one frame to every member connected here. */
export function broadcastLocally(recipients: readonly RoomMember<MemberHandle>[], frame: string): void {
  for (const recipient of recipients) if (!recipient.handle.remote) recipient.handle.sendRaw(frame);
}

export class RoomMirror {
  /** Members connected here, per mirrored room. */
  readonly #localCounts = new Map<string, number>();
  /**
   * Rooms a member here is being admitted to, with the events that came for them meanwhile: another
   * instance's newcomer can be announced before our own admission returns, and must not be lost.
   */
  readonly #pending = new Map<string, { admissions: number; events: BusEvent[] }>();

  constructor(
    private readonly rooms: RoomRegistry<MemberHandle>,
    private readonly bus: RoomBus,
  ) {
    bus.onEvent((event) => this.#apply(event));
  }

  /** Members connected here, in all rooms (the registry also holds the stand-ins). */
  get localMemberCount(): number {
    let count = 0;
    for (const value of this.#localCounts.values()) count += value;
    return count;
  }

  /** A member here asks the bus to join `room`: events for it are held until the answer. */
  admitting(room: string): void {
    const pending = this.#pending.get(room);
    if (pending) pending.admissions += 1;
    else this.#pending.set(room, { admissions: 1, events: [] });
  }

  /** The bus answered an admission to `room` (after `joined`, or refused): held events are applied. */
  admitted(room: string): void {
    const pending = this.#pending.get(room);
    if (!pending) return;
    pending.admissions -= 1;
    if (pending.admissions > 0) return;
    this.#pending.delete(room);
    for (const event of pending.events) this.#apply(event);
  }

  /** A member here is about to join `room`, where the bus says `others` are: stand-ins for those elsewhere. */
  prepare(room: string, others: readonly BusMember[]): void {
    for (const other of others) {
      if (other.instance === this.bus.instance) continue;
      const known = this.rooms.get(room, other.id)?.handle;
      if (known instanceof RemoteMember) known.instance = other.instance;
      else if (!known) this.rooms.join(room, { id: other.id, handle: new RemoteMember(this.bus, room, other.id, other.instance) });
    }
  }

  /** A member here joined `room`: count it, and tell the instances of the others. */
  joined(room: string, id: string, others: readonly BusMember[]): void {
    this.#localCounts.set(room, (this.#localCounts.get(room) ?? 0) + 1);
    const member: BusMember = { id, instance: this.bus.instance };
    for (const instance of distinctRemote(others.map((other) => other.instance), this.bus.instance)) this.bus.send(instance, { type: 'joined', room, member });
  }

  /** A member here left `room` (or its connection died): free its place and tell the others' instances. */
  left(room: string, id: string, reason: LeaveReason): void {
    this.#forgetLocal(room);
    this.bus.release(room, id).then(
      (instances) => {
        for (const instance of distinctRemote(instances, this.bus.instance)) this.bus.send(instance, { type: 'left', room, id, reason });
      },
      // Redis is away: every member here is being disconnected, and this instance's places are
      // cleared when it is back (redis-room-bus.ts).
      () => undefined,
    );
  }

  /** A member here gave its place to a newer connection of the same participant, here. */
  replacedHere(room: string): void {
    this.#forgetLocal(room);
  }

  /** The bus is gone: forget every stand-in (members here are being disconnected). */
  clear(): void {
    for (const room of this.#localCounts.keys()) this.#dropRoom(room);
    this.#localCounts.clear();
    for (const pending of this.#pending.values()) pending.events.length = 0;
  }

  #forgetLocal(room: string): void {
    const count = (this.#localCounts.get(room) ?? 1) - 1;
    if (count > 0) {
      this.#localCounts.set(room, count);
      return;
    }
    this.#localCounts.delete(room);
    this.#dropRoom(room);
  }

  /** No member here is in `room` any more: its stand-ins go. */
  #dropRoom(room: string): void {
    for (const member of this.rooms.others(room, '')) if (member.handle.remote) this.rooms.leave(room, member.id);
  }

  #apply(event: BusEvent): void {
    const pending = this.#pending.get(event.room);
    if (pending) {
      pending.events.push(event);
      return;
    }
    if (!this.#localCounts.has(event.room)) return;
    switch (event.type) {
      case 'joined': {
        const known = this.rooms.get(event.room, event.member.id);
        if (known && !known.handle.remote) return; // the 'replaced' event settles that one
        if (known) (known.handle as RemoteMember).instance = event.member.instance;
        else this.rooms.join(event.room, { id: event.member.id, handle: new RemoteMember(this.bus, event.room, event.member.id, event.member.instance) });
        const frame = JSON.stringify({ type: ServerMessageType.PeerJoined, peer: { id: event.member.id } } satisfies PeerJoinedMessage);
        broadcastLocally(this.rooms.others(event.room, event.member.id), frame);
        return;
      }
      case 'left': {
        const known = this.rooms.get(event.room, event.id);
        if (!known?.handle.remote) return;
        const remaining = this.rooms.leave(event.room, event.id);
        const reason = event.reason === LeaveReason.Left ? LeaveReason.Left : LeaveReason.Lost;
        broadcastLocally(remaining, JSON.stringify({ type: ServerMessageType.PeerLeft, id: event.id, reason } satisfies PeerLeftMessage));
        return;
      }
      case 'frame': {
        const target = this.rooms.get(event.room, event.to);
        if (target && !target.handle.remote) target.handle.sendRaw(event.frame);
        return;
      }
      case 'replaced': {
        const known = this.rooms.get(event.room, event.id);
        if (!known || known.handle.remote) return;
        this.rooms.leave(event.room, event.id);
        known.handle.replacedByNewerConnection();
        this.#forgetLocal(event.room);
        // Frees nothing on the bus (the place is the newer connection's now), only this instance's record of it.
        void this.bus.release(event.room, event.id).catch(() => undefined);
        return;
      }
    }
  }
}

function distinctRemote(instances: readonly string[], self: string): Set<string> {
  return new Set(instances.filter((instance) => instance !== self));
}
