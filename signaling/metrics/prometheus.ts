/**
 * The server's figures in Prometheus's text format (prom-client). Every figure is read when
 * scraped, from what the server keeps anyway (the counters, the room registry, the sockets, the
 * STUN server), so serving metrics costs the hot paths nothing. Node's own figures (event-loop lag,
 * heap, GC, CPU) come from prom-client's defaults.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { WebSocketServer } from 'ws';
import type { RoomRegistry } from '../rooms.js';
import type { StunServer } from '../stun/stun-server.js';
import type { IceServerIssuer } from '../ice/ice-server-issuer.js';
import type { ServerCounters } from './server-counters.js';
import type { RoomBus } from '../bus/room-bus.js';

export interface MetricSources {
  counters: ServerCounters;
  rooms: RoomRegistry<unknown>;
  /** Members connected to this instance (with shared rooms, the registry also holds members elsewhere). */
  localMembers: () => number;
  bus: RoomBus;
  sockets: WebSocketServer;
  iceServers: IceServerIssuer;
  stun: StunServer | undefined;
}

/** A counter whose value is read from a number the server keeps, at scrape time. */
function countFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A labelled counter read from a map the server keeps (label value → count). */
function countByLabel(registry: Registry, name: string, help: string, label: string, read: () => ReadonlyMap<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, count] of read()) this.inc({ [label]: value }, count);
    },
  });
}

function gaugeFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export function metricsRegistry({ counters, rooms, localMembers, bus, sockets, iceServers, stun }: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  gaugeFrom(registry, 'parley_connections', 'Open signaling WebSocket connections, joined or not.', () => sockets.clients.size);
  gaugeFrom(registry, 'parley_rooms', 'Rooms with at least one member connected here.', () => rooms.roomCount);
  gaugeFrom(registry, 'parley_room_members', 'Members of rooms connected here.', localMembers);
  if (bus.shared) {
    gaugeFrom(registry, 'parley_bus_ready', '1 while the room bus (Redis) can be used, 0 while it cannot.', () => (bus.ready ? 1 : 0));
    new Gauge({
      name: 'parley_bus_round_trip_seconds',
      help: 'A PING to the room bus (Redis), timed when scraped; absent while it is away.',
      registers: [registry],
      async collect() {
        this.reset();
        const seconds = await bus.ping().catch(() => undefined);
        if (seconds !== undefined) this.set(seconds);
      },
    });
  }
  countFrom(registry, 'parley_joins_total', 'Joins that got a welcome.', () => counters.joins);
  countFrom(registry, 'parley_signals_relayed_total', 'Signals forwarded between members.', () => counters.signalsRelayed);
  countByLabel(registry, 'parley_errors_sent_total', 'Error frames sent to clients, by code (refused frames, joins and requests; rate-limited, join-rate-limited and ice-refresh-limited are the rate limits).', 'code', () => counters.errorsSent);
  countByLabel(registry, 'parley_upgrades_refused_total', 'WebSocket upgrades refused before any frame, by reason.', 'reason', () => counters.upgradesRefused);
  countFrom(registry, 'parley_turn_credentials_issued_total', 'TURN credentials handed out (in welcomes and refreshes).', () => iceServers.turnCredentialsIssued);
  if (stun) {
    const stunCounters = stun.counters;
    countByLabel(registry, 'parley_stun_requests_total', 'STUN datagrams received by the built-in STUN server, by what became of them.', 'result', () => new Map(Object.entries(stunCounters)));
  }
  return registry;
}
