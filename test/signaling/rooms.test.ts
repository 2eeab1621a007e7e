import { describe, expect, it } from 'vitest';
import { RoomFullError, RoomRegistry, TooManyRoomsError } from '../../signaling/rooms.js';

const member = (id: string) => ({ id, handle: `handle-${id}` });

describe('RoomRegistry', () => {
  it('returns the members already present on join', () => {
    const rooms = new RoomRegistry<string>(4);
    expect(rooms.join('r', member('a'))).toEqual([]);
    expect(rooms.join('r', member('b')).map((m) => m.id)).toEqual(['a']);
    expect(rooms.join('r', member('c')).map((m) => m.id)).toEqual(['a', 'b']);
    expect(rooms.size('r')).toBe(3);
    expect(rooms.memberCount).toBe(3);
  });

  it('keeps rooms apart', () => {
    const rooms = new RoomRegistry<string>(4);
    rooms.join('r1', member('a'));
    expect(rooms.join('r2', member('b'))).toEqual([]);
    expect(rooms.get('r1', 'b')).toBeUndefined();
    expect(rooms.get('r2', 'b')?.handle).toBe('handle-b');
    expect(rooms.roomCount).toBe(2);
  });

  it('enforces the capacity and frees a place on leave', () => {
    const rooms = new RoomRegistry<string>(2);
    rooms.join('r', member('a'));
    rooms.join('r', member('b'));
    expect(() => rooms.join('r', member('c'))).toThrow(RoomFullError);
    expect(rooms.size('r')).toBe(2);
    rooms.leave('r', 'a');
    expect(rooms.join('r', member('c')).map((m) => m.id)).toEqual(['b']);
  });

  it('opens no room beyond maxRooms, while the rooms it holds still take members', () => {
    const rooms = new RoomRegistry<string>(4, 2);
    rooms.join('r1', member('a'));
    rooms.join('r2', member('b'));
    expect(() => rooms.join('r3', member('c'))).toThrow(TooManyRoomsError);
    expect(rooms.join('r1', member('c')).map((m) => m.id)).toEqual(['a']);
    rooms.leave('r2', 'b');
    expect(rooms.join('r3', member('d'))).toEqual([]);
  });

  it('counts the other members that match', () => {
    const rooms = new RoomRegistry<string>(4);
    for (const id of ['a', 'b', 'c']) rooms.join('r', member(id));
    expect(rooms.countOthers('r', 'a', (m) => m.id !== 'c')).toBe(1);
    expect(rooms.countOthers('nowhere', 'a', () => true)).toBe(0);
  });

  it('returns the remaining members on leave and forgets empty rooms', () => {
    const rooms = new RoomRegistry<string>(4);
    rooms.join('r', member('a'));
    rooms.join('r', member('b'));
    expect(rooms.leave('r', 'a').map((m) => m.id)).toEqual(['b']);
    expect(rooms.leave('r', 'a')).toEqual([]);
    expect(rooms.leave('r', 'b')).toEqual([]);
    expect(rooms.roomCount).toBe(0);
    expect(rooms.memberCount).toBe(0);
  });

  it('lists the others without the asking member', () => {
    const rooms = new RoomRegistry<string>(4);
    rooms.join('r', member('a'));
    rooms.join('r', member('b'));
    expect(rooms.others('r', 'a').map((m) => m.id)).toEqual(['b']);
    expect(rooms.others('nope', 'a')).toEqual([]);
  });

  it('refuses a duplicate id and a nonsensical capacity', () => {
    const rooms = new RoomRegistry<string>(4);
    rooms.join('r', member('a'));
    expect(() => rooms.join('r', member('a'))).toThrow(/already/);
    expect(() => new RoomRegistry(0)).toThrow(RangeError);
  });
});
