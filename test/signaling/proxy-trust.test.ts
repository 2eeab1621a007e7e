// The WebSocket upgrade bypasses Fastify's request lifecycle, so it reads the client's address and
// host with proxy-trust.ts; a spoofer must get exactly as far there as with Fastify's own
// request.ip and request.host (which the pages use): here the two are compared on the same requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TrustProxy } from '../../signaling/config.js';
import { forwardedClient, proxyTrust } from '../../signaling/proxy-trust.js';

const SETTINGS: TrustProxy[] = [false, 1, 2, ['127.0.0.1'], ['loopback'], ['192.0.2.0/24'], ['198.51.100.7', '127.0.0.1']];

/** What an attacker or a chain of proxies might send, and from where the last hop connects. */
const REQUESTS: { remoteAddress: string; headers: Record<string, string> }[] = [
  { remoteAddress: '127.0.0.1', headers: {} },
  { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9' } },
  { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.66, 203.0.113.9', 'x-forwarded-host': 'chat.example' } },
  { remoteAddress: '192.0.2.10', headers: { 'x-forwarded-for': '10.0.0.1, 198.51.100.7', 'x-forwarded-host': 'evil.example, chat.example' } },
  { remoteAddress: '203.0.113.50', headers: { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': 'forged.example' } },
  { remoteAddress: '::1', headers: { 'x-forwarded-for': '2001:db8::1' } },
];

describe('proxy trust: the upgrade believes what Fastify believes', () => {
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    for (const setting of SETTINGS) {
      const trust = proxyTrust(setting);
      const app = Fastify({ trustProxy: trust });
      app.get('/who', async (request) => ({ fastify: { ip: request.ip, host: request.host }, upgrade: forwardedClient(request.raw, trust) }));
      await app.ready();
      apps.push(app);
    }
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it.each(SETTINGS.map((setting, index) => [JSON.stringify(setting), index] as const))('TRUST_PROXY=%s', async (_label, index) => {
    for (const { remoteAddress, headers } of REQUESTS) {
      const response = await apps[index]!.inject({ method: 'GET', url: '/who', remoteAddress, headers: { host: 'parley.example:8080', ...headers } });
      const { fastify, upgrade } = response.json() as { fastify: unknown; upgrade: unknown };
      expect(upgrade, `from ${remoteAddress} with ${JSON.stringify(headers)}`).toEqual(fastify);
    }
  });

  it('a client that writes X-Forwarded-For and X-Forwarded-Host to a server trusting none is taken as itself', async () => {
    const response = await apps[0]!.inject({
      method: 'GET',
      url: '/who',
      remoteAddress: '203.0.113.50',
      headers: { host: 'parley.example', 'x-forwarded-for': '198.51.100.1', 'x-forwarded-host': 'other.example' },
    });
    expect(response.json()).toMatchObject({ upgrade: { ip: '203.0.113.50', host: 'parley.example' } });
  });

  it('one trusted hop believes only the address the proxy itself appended', async () => {
    const response = await apps[1]!.inject({
      method: 'GET',
      url: '/who',
      remoteAddress: '127.0.0.1',
      headers: { host: 'parley.example', 'x-forwarded-for': '198.51.100.66, 203.0.113.9' },
    });
    expect(response.json()).toMatchObject({ upgrade: { ip: '203.0.113.9' } });
  });
});
