/**
 * The key a client address is counted under by the per-address limits. One person usually holds a
 * whole IPv6 /64 (providers hand out at least that), and could take a fresh address from it for
 * every connection, so an IPv6 address counts as its /64. An IPv4 address written in IPv6 form
 * (`::ffff:192.0.2.1`, as a dual-stack socket reports it) counts as the IPv4 address.
 */
import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';

const IPV4_MAPPED_PREFIX = '::ffff:';

/** The /64 prefix, or the IPv4 address; anything unparseable is counted as written. */
export function clientAddressKey(address: string): string {
  // The common cases without a parse: once per connection, on the join path.
  if (isIPv4(address)) return address;
  if (address.startsWith(IPV4_MAPPED_PREFIX) && isIPv4(address.slice(IPV4_MAPPED_PREFIX.length))) return address.slice(IPV4_MAPPED_PREFIX.length);
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const prefix = v6.parts.slice(0, 4).map((part) => part.toString(16));
  return `${prefix.join(':')}::/64`;
}
