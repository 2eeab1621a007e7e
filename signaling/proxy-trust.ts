/**
 * What the server believes of X-Forwarded-For and X-Forwarded-Host (TRUST_PROXY). Fastify's pages
 * and the WebSocket upgrade (which bypasses Fastify's request lifecycle) must read a request the
 * same way, so both take their rule from here: `proxyTrust` for Fastify's `trustProxy` option,
 * `forwardedClient` for an upgrade's raw request. The rules are Fastify's own (@fastify/proxy-addr).
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { TrustProxy } from './config.js';

/** Whether the hop at `address`, `hop` steps from the server (0 = the peer), is a trusted proxy. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * The rule for a setting, or false for none. A count trusts that many hops nearest the server; a
 * list, the proxies at those addresses and ranges (and the names loopback, linklocal, uniquelocal).
 */
export function proxyTrust(setting: TrustProxy): ProxyTrust | false {
  if (setting === false) return false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyAddr.compile(setting);
}

export interface ForwardedClient {
  /** The client's address: the nearest hop that is not a trusted proxy. */
  ip: string;
  /** The host the browser addressed: a trusted proxy's X-Forwarded-Host, else the Host header. */
  host: string;
}

/** The client of a raw request as Fastify's `request.ip` and `request.host` would give it. */
export function forwardedClient(request: IncomingMessage, trust: ProxyTrust | false): ForwardedClient {
  const peer = request.socket.remoteAddress ?? '';
  const hostHeader = request.headers.host ?? '';
  if (trust === false) return { ip: peer, host: hostHeader };
  const forwardedHost = request.headers['x-forwarded-host'];
  return {
    ip: proxyAddr(request, trust),
    host: forwardedHost && trust(peer, 0) ? lastEntry(Array.isArray(forwardedHost) ? forwardedHost.join(',') : forwardedHost) : hostHeader,
  };
}

/** A header sent more than once arrives comma-joined; the proxy nearest us appended the last entry. */
function lastEntry(value: string): string {
  const comma = value.lastIndexOf(',');
  return (comma === -1 ? value : value.slice(comma + 1)).trim();
}
