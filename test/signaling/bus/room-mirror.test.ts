// The room mirror with a fake bus: members of other instances as stand-ins in the local registry,
// what this instance tells the others, and what it does with what they tell it.
import { describe, expect, it } from 'vitest';
import { RoomRegistry } from '../../../signaling/rooms.js';
import { RemoteMember, RoomMirror } from '../../../signaling/bus/room-mirror.js';
import type { Admission, BusEvent, RoomBus } from '../../../signaling/bus/room-bus.js';
import type { MemberHandle } from '../../../signaling/member-handle.js';
import type { ServerMessage } from '../../../protocol/signaling.js';

const ROOM = 'r'.repeat(43);

class FakeBus implements RoomBus {
  readonly shared = true;
  readonly instance = 'here';
  readonly ready = true;
  readonly sent: { to: string; event: BusEvent }[] = [];
  readonly released: string[] = [];
  remainingAfterRelease: string[] = [];
  #listener: ((event: BusEvent) => void) | undefined;

  admit(): Promise<Admission> {
    throw new Error('not used here');
  }
  async release(room: string, id: string): Promise<string[]> {
    this.released.push(`${room}|${id}`);
    return this.remainingAfterRelease;
  }
  send(to: string, event: BusEvent): void {
    this.sent.push({ to, event });
  }
  onEvent(listener: (event: BusEvent) => void): void {
    this.#listener = listener;
  }
  onReadyChange(): void {}
  async ping(): Promise<number | undefined> {
    return undefined;
  }
  async close(): Promise<void> {}
  /** An event from another instance. */
  deliver(event: BusEvent): void {
    this.#listener?.(event);
  }
}

/** A member connected here that records what it is sent. */
class LocalMember implements MemberHandle {
  readonly remote = false;
  readonly address = '198.51.100.7';
  readonly frames: ServerMessage[] = [];
  replaced = false;
  sendRaw(frame: string): void {
    this.frames.push(JSON.parse(frame) as ServerMessage);
  }
  send(message: ServerMessage): void {
    this.frames.push(message);
  }
  replacedByNewerConnection(): void {
    this.replaced = true;
  }
}

function setup() {
  const bus = new FakeBus();
  const rooms = new RoomRegistry<MemberHandle>(Number.MAX_SAFE_INTEGER);
  const mirror = new RoomMirror(rooms, bus);
  const ada = new LocalMember();
  /** Ada joins here, where Bob (on "there") and Cy (on "elsewhere") already are. */
  const adaJoins = (): void => {
    const others = [
      { id: 'bob', instance: 'there' },
      { id: 'cy', instance: 'elsewhere' },
    ];
    mirror.prepare(ROOM, others);
    rooms.join(ROOM, { id: 'ada', handle: ada });
    mirror.joined(ROOM, 'ada', others);
  };
  return { bus, rooms, mirror, ada, adaJoins };
}

describe('RoomMirror', () => {
  it('puts the members of other instances in the registry as stand-ins, and tells each of their instances once', () => {
    const { bus, rooms, mirror, adaJoins } = setup();
    adaJoins();
    expect(rooms.get(ROOM, 'bob')?.handle).toBeInstanceOf(RemoteMember);
    expect((rooms.get(ROOM, 'cy')?.handle as RemoteMember).instance).toBe('elsewhere');
    expect(bus.sent).toEqual([
      { to: 'there', event: { type: 'joined', room: ROOM, member: { id: 'ada', instance: 'here' } } },
      { to: 'elsewhere', event: { type: 'joined', room: ROOM, member: { id: 'ada', instance: 'here' } } },
    ]);
    expect(mirror.localMemberCount).toBe(1);
  });

  it('a stand-in passes frames and a replacement on to its instance', () => {
    const { bus, rooms, adaJoins } = setup();
    adaJoins();
    bus.sent.length = 0;
    rooms.get(ROOM, 'bob')!.handle.sendRaw('{"type":"signal"}');
    rooms.get(ROOM, 'cy')!.handle.replacedByNewerConnection();
    expect(bus.sent).toEqual([
      { to: 'there', event: { type: 'frame', room: ROOM, to: 'bob', frame: '{"type":"signal"}' } },
      { to: 'elsewhere', event: { type: 'replaced', room: ROOM, id: 'cy' } },
    ]);
  });

  it('applies what other instances say: a newcomer, a frame for a member here, a leave with its reason', () => {
    const { bus, rooms, ada, adaJoins } = setup();
    adaJoins();
    bus.deliver({ type: 'joined', room: ROOM, member: { id: 'dee', instance: 'there' } });
    expect(ada.frames).toEqual([{ type: 'peer-joined', peer: { id: 'dee' } }]);
    expect(rooms.get(ROOM, 'dee')?.handle.remote).toBe(true);
    bus.deliver({ type: 'frame', room: ROOM, to: 'ada', frame: '{"type":"signal","from":"dee","data":{}}' });
    expect(ada.frames.at(-1)).toEqual({ type: 'signal', from: 'dee', data: {} });
    bus.deliver({ type: 'left', room: ROOM, id: 'dee', reason: 'lost' });
    expect(ada.frames.at(-1)).toEqual({ type: 'peer-left', id: 'dee', reason: 'lost' });
    expect(rooms.get(ROOM, 'dee')).toBeUndefined();
  });

  it('ignores what does not concern a member here: other rooms, a frame for a stand-in, a leave of a member here', () => {
    const { bus, rooms, ada, adaJoins } = setup();
    adaJoins();
    bus.deliver({ type: 'joined', room: 'o'.repeat(43), member: { id: 'eve', instance: 'there' } });
    bus.deliver({ type: 'frame', room: ROOM, to: 'bob', frame: '{}' });
    bus.deliver({ type: 'left', room: ROOM, id: 'ada', reason: 'left' });
    expect(ada.frames).toEqual([]);
    expect(rooms.roomCount).toBe(1);
    expect(rooms.get(ROOM, 'ada')?.handle).toBe(ada);
  });

  it('a member here replaced on another instance gives up its place here, and only here', async () => {
    const { bus, rooms, ada, adaJoins, mirror } = setup();
    adaJoins();
    bus.deliver({ type: 'replaced', room: ROOM, id: 'ada' });
    expect(ada.replaced).toBe(true);
    expect(rooms.get(ROOM, 'ada')).toBeUndefined();
    expect(mirror.localMemberCount).toBe(0);
    await Promise.resolve();
    expect(bus.released).toEqual([`${ROOM}|ada`]);
  });

  it('when the last member here leaves, frees its place, tells the instances still in the room, and drops the stand-ins', async () => {
    const { bus, rooms, mirror, adaJoins } = setup();
    adaJoins();
    bus.sent.length = 0;
    bus.remainingAfterRelease = ['there', 'there', 'elsewhere'];
    rooms.leave(ROOM, 'ada');
    mirror.left(ROOM, 'ada', 'left');
    expect(rooms.roomCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(bus.sent).toEqual([
      { to: 'there', event: { type: 'left', room: ROOM, id: 'ada', reason: 'left' } },
      { to: 'elsewhere', event: { type: 'left', room: ROOM, id: 'ada', reason: 'left' } },
    ]);
  });

  it('holds what comes for a room while a member here is being admitted to it, then applies it (two joining at once)', () => {
    const { bus, rooms, mirror, ada } = setup();
    mirror.admitting(ROOM);
    // Bob, on another instance, got in first and is announced before Ada's admission returns.
    bus.deliver({ type: 'joined', room: ROOM, member: { id: 'bob', instance: 'there' } });
    expect(rooms.get(ROOM, 'bob')).toBeUndefined();
    mirror.prepare(ROOM, []);
    rooms.join(ROOM, { id: 'ada', handle: ada });
    mirror.joined(ROOM, 'ada', []);
    mirror.admitted(ROOM);
    expect(rooms.get(ROOM, 'bob')?.handle.remote).toBe(true);
    expect(ada.frames).toEqual([{ type: 'peer-joined', peer: { id: 'bob' } }]);
  });

  it('forgets every stand-in when the bus is gone', () => {
    const { rooms, mirror, adaJoins } = setup();
    adaJoins();
    mirror.clear();
    expect(rooms.get(ROOM, 'bob')).toBeUndefined();
    expect(mirror.localMemberCount).toBe(0);
  });
});
