// The key a client address is counted under by the per-address limits.
import { describe, expect, it } from 'vitest';
import { clientAddressKey } from '../../signaling/client-address.js';

describe('clientAddressKey', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:ffff:ffff:ffff:ffff', '2001:db8:0:0::/64'],
    ['2001:0DB8:0000:0001::1', '2001:db8:0:1::/64'],
    ['::1', '0:0:0:0::/64'],
    ['not an address', 'not an address'],
  ])('counts %s as %s', (address, key) => {
    expect(clientAddressKey(address)).toBe(key);
  });

  it('tells apart addresses in different /64s and joins those in one', () => {
    expect(clientAddressKey('2001:db8:0:1::1')).toBe(clientAddressKey('2001:db8:0:1:8000::9'));
    expect(clientAddressKey('2001:db8:0:1::1')).not.toBe(clientAddressKey('2001:db8:0:2::1'));
    expect(clientAddressKey('198.51.100.7')).not.toBe(clientAddressKey('198.51.100.8'));
  });
});
