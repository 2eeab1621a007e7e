import { describe, expect, it } from 'vitest';
import { ConnectionRegistry } from '../../../signaling/connections/connection-registry.js';

const HOME = '198.51.100.7';
const OFFICE = '203.0.113.9';

/** A socket is anything with an identity; a session, anything with an address. */
const connection = (address: string) => ({ socket: {}, session: { address } });

describe('ConnectionRegistry', () => {
  it('admits connections from an address up to the cap, and again once one closes', () => {
    const registry = new ConnectionRegistry<object, { address: string }>(2);
    const first = connection(HOME);
    const second = connection(HOME);
    expect(registry.admits(HOME)).toBe(true);
    registry.add(first.socket, first.session);
    expect(registry.admits(HOME)).toBe(true);
    registry.add(second.socket, second.session);
    expect(registry.admits(HOME)).toBe(false);
    // Another address has its own count.
    expect(registry.admits(OFFICE)).toBe(true);

    expect(registry.remove(first.socket)).toBe(first.session);
    expect(registry.admits(HOME)).toBe(true);
  });

  it('finds the session of a socket, and frees a place only once per socket', () => {
    const registry = new ConnectionRegistry<object, { address: string }>(2);
    const first = connection(HOME);
    const second = connection(HOME);
    registry.add(first.socket, first.session);
    expect(registry.sessionOf(first.socket)).toBe(first.session);
    expect(registry.remove(first.socket)).toBe(first.session);
    expect(registry.remove(first.socket)).toBeUndefined();
    expect(registry.sessionOf(first.socket)).toBeUndefined();
    expect(registry.size).toBe(0);

    registry.add(first.socket, first.session);
    registry.add(second.socket, second.session);
    // The second remove above did not count as a closed connection.
    expect(registry.admits(HOME)).toBe(false);
  });

  it('lists the open sockets in the order they connected', () => {
    const registry = new ConnectionRegistry<object, { address: string }>(10);
    const [a, b, c] = [connection(HOME), connection(HOME), connection(OFFICE)];
    for (const { socket, session } of [a, b, c]) registry.add(socket, session);
    registry.remove(b.socket);
    expect([...registry.sockets()]).toEqual([a.socket, c.socket]);
    expect(registry.has(a.socket)).toBe(true);
    expect(registry.has(b.socket)).toBe(false);
  });
});
