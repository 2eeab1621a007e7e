// Waiting on headless rooms and on anything else that changes over time, without fixed sleeps
// where an event or a condition says when it is done.
import type { ParleyRoom, RoomEvents } from '../../web/room/room.js';

/** The next `type` event of `room` that satisfies `predicate`. */
export function onceRoom<K extends keyof RoomEvents>(
  room: ParleyRoom,
  type: K,
  predicate: (payload: RoomEvents[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<RoomEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(type)}`));
    }, timeoutMs);
    const off = room.on(type, (payload) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Resolves once `condition` holds; checked now and on each of the room's 'change' events. */
export async function untilRoom(room: ParleyRoom, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  if (condition()) return;
  await onceRoom(room, 'change', condition, timeoutMs);
}

/**
 * Resolves once `condition` holds, checking every few milliseconds: for things that emit no event
 * (a test client's inbox, a file being written by another process).
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every other member of `room` is known and its direct connection proven. */
export const allConnected = (room: ParleyRoom, count: number) => (): boolean =>
  room.participants.length === count && room.participants.every((peer) => peer.state === 'connected');
