/**
 * The room bus: what one Parley instance needs from the others, so that members of one room may
 * sit on different instances behind a load balancer. One small contract, two implementations
 * picked once at start (REDIS_URL): in memory (one instance, the default; nothing to share) and
 * Redis (redis-room-bus.ts). Sessions keep their members in the local RoomRegistry either way;
 * members on other instances appear there as RemoteMember stand-ins (room-mirror.ts).
 */

/** A member of a room as the bus knows it: its id and the instance that holds its connection. */
export interface BusMember {
  id: string;
  instance: string;
}

export type Admission =
  /** In: `others` were there before (across instances); `replaced` the instance of this same member's older connection. */
  | { kind: 'admitted'; others: BusMember[]; replacedOn: string | undefined }
  | { kind: 'room-full' }
  | { kind: 'address-full'; fromAddress: number }
  | { kind: 'too-many-rooms' };

/** What arrives from other instances. */
export type BusEvent =
  | { type: 'joined'; room: string; member: BusMember }
  | { type: 'left'; room: string; id: string; reason: 'left' | 'lost' }
  /** A frame for one member here (a signal, as its sender's instance wrote it). */
  | { type: 'frame'; room: string; to: string; frame: string }
  /** This member joined again on another instance: its connection here is to give up its place. */
  | { type: 'replaced'; room: string; id: string };

export interface AdmissionLimits {
  capacity: number;
  maxPerAddress: number;
  maxRooms: number;
}

export interface RoomBus {
  /** False for the in-memory bus: the session admits members locally, synchronously, as always. */
  readonly shared: boolean;
  /** This instance's id on the bus. */
  readonly instance: string;
  /** Whether the bus can be used now (/readyz). */
  readonly ready: boolean;
  /** Admits a member into a room for every instance at once: the cap, the per-address cap, the room count. */
  admit(room: string, id: string, addressKey: string, limits: AdmissionLimits): Promise<Admission>;
  /** The member left (or its connection died): frees its place; resolves with the instances of those still there. */
  release(room: string, id: string): Promise<string[]>;
  /** Sends an event to one other instance. Events to one instance arrive in the order they were sent. */
  send(instance: string, event: BusEvent): void;
  /** Events from other instances, and changes of `ready`. */
  onEvent(listener: (event: BusEvent) => void): void;
  onReadyChange(listener: (ready: boolean) => void): void;
  /** Round trip to the bus, measured now (seconds), or undefined when it is not shared or not ready. */
  ping(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** One instance: nobody to share rooms with. */
export class MemoryRoomBus implements RoomBus {
  readonly shared = false;
  readonly instance = 'local';
  readonly ready = true;

  admit(): Promise<Admission> {
    return Promise.reject(new Error('the in-memory bus admits nothing: sessions admit locally'));
  }

  async release(): Promise<string[]> {
    return [];
  }

  send(): void {}

  onEvent(): void {}

  onReadyChange(): void {}

  async ping(): Promise<number | undefined> {
    return undefined;
  }

  async close(): Promise<void> {}
}
