/**
 * The room registry: which member is in which room, and the room cap. A plain class with no
 * sockets, so it is tested on its own; `T` is whatever the caller uses to reach a member.
 */

export interface RoomMember<T> {
  readonly id: string;
  readonly handle: T;
}

export class RoomFullError extends Error {
  override name = 'RoomFullError';
  constructor(readonly capacity: number) {
    super(`This room is full: it already has ${capacity} members, the most this server allows.`);
  }
}

/** Joining would open a room beyond the server's MAX_ROOMS. */
export class TooManyRoomsError extends Error {
  override name = 'TooManyRoomsError';
  constructor(readonly maxRooms: number) {
    super(`This server already holds ${maxRooms} rooms, the most it allows. Try again in a minute.`);
  }
}

export class RoomRegistry<T> {
  readonly #rooms = new Map<string, Map<string, RoomMember<T>>>();
  #memberCount = 0;

  constructor(
    readonly capacity: number,
    readonly maxRooms: number = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`room capacity must be a positive integer, got ${capacity}`);
  }

  /**
   * Adds a member and returns the members that were there before it (the newcomer connects to
   * them). Throws RoomFullError when the room is at capacity, TooManyRoomsError when it would be a
   * new room beyond maxRooms; throws if the id is already present.
   */
  join(roomId: string, member: RoomMember<T>): RoomMember<T>[] {
    let room = this.#rooms.get(roomId);
    if (room?.has(member.id)) throw new Error(`member ${member.id} is already in room ${roomId}`);
    if (room && room.size >= this.capacity) throw new RoomFullError(this.capacity);
    if (!room && this.#rooms.size >= this.maxRooms) throw new TooManyRoomsError(this.maxRooms);
    const existing = room ? [...room.values()] : [];
    if (!room) {
      room = new Map();
      this.#rooms.set(roomId, room);
    }
    room.set(member.id, member);
    this.#memberCount += 1;
    return existing;
  }

  /** Removes a member; returns the members left in the room (to be told), or [] if it was absent. */
  leave(roomId: string, memberId: string): RoomMember<T>[] {
    const room = this.#rooms.get(roomId);
    if (!room?.delete(memberId)) return [];
    this.#memberCount -= 1;
    if (room.size === 0) {
      this.#rooms.delete(roomId);
      return [];
    }
    return [...room.values()];
  }

  /** The member with this id in this room, if any. */
  get(roomId: string, memberId: string): RoomMember<T> | undefined {
    return this.#rooms.get(roomId)?.get(memberId);
  }

  /** How many members of a room, other than `exceptId`, satisfy `predicate`. */
  countOthers(roomId: string, exceptId: string, predicate: (member: RoomMember<T>) => boolean): number {
    let count = 0;
    for (const member of this.#rooms.get(roomId)?.values() ?? []) if (member.id !== exceptId && predicate(member)) count += 1;
    return count;
  }

  /** Every member of a room except `exceptId`. */
  others(roomId: string, exceptId: string): RoomMember<T>[] {
    const room = this.#rooms.get(roomId);
    if (!room) return [];
    const result: RoomMember<T>[] = [];
    for (const member of room.values()) if (member.id !== exceptId) result.push(member);
    return result;
  }

  size(roomId: string): number {
    return this.#rooms.get(roomId)?.size ?? 0;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  get memberCount(): number {
    return this.#memberCount;
  }
}
