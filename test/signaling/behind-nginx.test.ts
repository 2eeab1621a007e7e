// The README's reverse-proxy setup, run for real: a real nginx with the README's location block in
// front of a real server with TRUST_PROXY=1. Attacked the ways a client behind it can: by writing
// X-Forwarded-For and X-Forwarded-Host itself, and from another site's page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRefusal } from '../../protocol/signaling.js';
import { startServer, type RunningServer } from '../support/server.js';
import { readmeLocationBlock, startNginx, type RunningNginx } from '../support/nginx.js';
import { TestClient } from '../support/ws-client.js';

const MAX_CONNECTIONS_PER_IP = 3;
let server: RunningServer;
let nginx: RunningNginx;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startServer({ trustProxy: 1, maxConnectionsPerIp: MAX_CONNECTIONS_PER_IP });
  nginx = await startNginx(readmeLocationBlock(server.port));
});

afterAll(async () => {
  for (const client of clients) client.close();
  await nginx?.stop();
  await server?.close();
});

const signalUrl = (): string => `ws://127.0.0.1:${nginx.port}/signal`;

async function tryConnect(headers: Record<string, string>): Promise<'open' | number> {
  try {
    const client = await TestClient.connect(signalUrl(), { headers });
    clients.push(client);
    return 'open';
  } catch (error) {
    const status = /Unexpected server response: (\d+)/.exec(String(error))?.[1];
    if (!status) throw error;
    return Number(status);
  }
}

describe("behind the README's nginx, with TRUST_PROXY=1", () => {
  it('ten sockets from one address that each claim another in X-Forwarded-For: the cap of three holds', async () => {
    const outcomes: ('open' | number)[] = [];
    for (let socket = 0; socket < 10; socket += 1) {
      // What the attacker writes; nginx replaces it with the address it saw.
      outcomes.push(await tryConnect({ 'X-Forwarded-For': `203.0.113.${socket + 1}, 198.51.100.${socket + 1}` }));
    }
    expect(outcomes.filter((outcome) => outcome === 'open')).toHaveLength(MAX_CONNECTIONS_PER_IP);
    expect(outcomes.filter((outcome) => outcome === HttpRefusal.TooManyConnections.status)).toHaveLength(10 - MAX_CONNECTIONS_PER_IP);
    for (const client of clients.splice(0)) client.close();
  });

  it('the pages of the site itself connect through the proxy; a page of another site gets 403', async () => {
    // Let the closes above reach the server before counting again.
    await expect.poll(() => tryConnect({ Origin: nginx.origin })).toBe('open');
    expect(await tryConnect({ Origin: 'https://elsewhere.example' })).toBe(HttpRefusal.OriginNotAllowed.status);
    for (const client of clients.splice(0)) client.close();
  });

  it("another site's page that writes X-Forwarded-Host naming its own site is still refused", async () => {
    expect(await tryConnect({ Origin: 'https://elsewhere.example', 'X-Forwarded-Host': 'elsewhere.example' })).toBe(HttpRefusal.OriginNotAllowed.status);
  });

  it('serves the app through the proxy with its security headers', async () => {
    const response = await fetch(`${nginx.origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});
