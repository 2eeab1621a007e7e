// Prometheus metrics: what the server did shows in the figures, they are served only on their own
// listener (never on the public port), and /healthz tells an outsider nothing about the load.
import { afterEach, describe, expect, it } from 'vitest';
import { ClientMessageType, HttpRefusal } from '../../../protocol/signaling.js';
import { StunServer } from '../../../signaling/stun/stun-server.js';
import { startServer, type RunningServer } from '../../support/server.js';
import { startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { freePort } from '../../support/free-port.js';
import { TestClient } from '../../support/ws-client.js';

const ROOM = 'm'.repeat(43);
let server: RunningServer | undefined;
let process_: ServerProcess | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  await server?.close();
  server = undefined;
  process_?.child.kill('SIGKILL');
  process_ = undefined;
});

async function connect(url: string, options = {}): Promise<TestClient> {
  const client = await TestClient.connect(url, options);
  clients.push(client);
  return client;
}

/** The value of one sample in Prometheus text, e.g. `parley_joins_total` or `x{code="y"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('the metrics registry', () => {
  it('counts joins, relayed signals, errors by code, refused upgrades, TURN credentials and STUN answers', async () => {
    const stun = await StunServer.listen({ host: '127.0.0.1', port: 0 });
    server = await startServer({ stunServer: stun, turnUrls: ['turn:127.0.0.1:3478'], turnSecret: 'metrics-test-secret-0123456789' });
    const ada = await connect(server.signalUrl);
    const bob = await connect(server.signalUrl);
    const adaWelcome = await ada.join(ROOM);
    await bob.join(ROOM);
    bob.send({ type: 'signal', to: adaWelcome.id, data: { n: 1 } });
    await ada.next('signal');
    bob.send({ type: 'signal', to: 'x'.repeat(22), data: { n: 2 } });
    await bob.next('error');
    bob.send({ type: ClientMessageType.RefreshIceServers });
    await bob.next('ice-servers');
    // A page of another site is refused before the upgrade.
    await expect(connect(server.signalUrl, { origin: 'https://elsewhere.example' })).rejects.toThrow(/403/);

    const text = await server.app.metrics.metrics();
    expect(sample(text, 'parley_joins_total')).toBe(2);
    expect(sample(text, 'parley_signals_relayed_total')).toBe(1);
    expect(sample(text, 'parley_errors_sent_total{code="unknown-peer"}')).toBe(1);
    expect(sample(text, `parley_upgrades_refused_total{reason="${HttpRefusal.OriginNotAllowed.error}"}`)).toBe(1);
    expect(sample(text, 'parley_turn_credentials_issued_total')).toBe(3);
    expect(sample(text, 'parley_connections')).toBe(2);
    expect(sample(text, 'parley_rooms')).toBe(1);
    expect(sample(text, 'parley_room_members')).toBe(2);
    expect(sample(text, 'parley_stun_requests_total{result="answered"}')).toBe(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    // Nothing a client sent is in there: no room id, no peer id.
    expect(text).not.toContain(ROOM.slice(0, 8));
    expect(text).not.toContain(adaWelcome.id);
  });
});

describe('the metrics listener (METRICS_PORT, METRICS_HOST)', () => {
  it('serves /metrics on its own port only, and /healthz tells an outsider nothing about the load', async () => {
    const metricsPort = await freePort();
    process_ = await startServerProcess([], { METRICS_PORT: String(metricsPort) });
    expect(process_.output()).toContain(`metrics at http://127.0.0.1:${metricsPort}/metrics`);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^parley_connections 0$/m);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
    // The public port has no /metrics, and its health check says only that it is up.
    expect((await fetch(`http://127.0.0.1:${process_.port}/metrics`)).status).toBe(404);
    expect(await (await fetch(`http://127.0.0.1:${process_.port}/healthz`)).json()).toEqual({ status: 'ok', protocol: 2 });
  });

  it('is off by default', async () => {
    process_ = await startServerProcess();
    expect(process_.output()).not.toContain('/metrics');
  });
});
