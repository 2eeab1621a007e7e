/**
 * The room bus over Redis (REDIS_URL), for several Parley instances behind a load balancer with no
 * sticky sessions. Redis holds who is in which room, on which instance, and from which address key
 * (`parley:room:<id>`, a hash); joins and leaves are Lua scripts, so the room cap and the
 * per-address cap hold across instances. Each instance has a channel of its own
 * (`parley:to:<instance>`) for events meant for its members; one connection publishes everything an
 * instance sends, so events to one instance keep their order (a member's signals among them).
 * Events sent in one turn of the event loop to one instance go as one PUBLISH of a JSON array: under load a PUBLISH
 * per signal was a third of an instance's time.
 *
 * Presence survives crashes: an instance holds a lease (`parley:lease:<instance>`, a key that
 * expires after a few heartbeats unless renewed). Every instance looks at the others' leases each
 * heartbeat; the first to see one gone takes a short lock and removes that instance's members from
 * their rooms, telling the instances of those who remain (`left`, reason `lost`). No ghost stays.
 *
 * If Redis goes away, `ready` turns false (the server answers /readyz with 503 and closes its
 * members' connections with 4030 so they come back when it does); ioredis reconnects by itself.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Admission, AdmissionLimits, BusEvent, BusMember, RoomBus } from './room-bus.js';

const PREFIX = 'parley:';
const ROOMS = `${PREFIX}rooms`;
const INSTANCES = `${PREFIX}instances`;
const roomKey = (room: string): string => `${PREFIX}room:${room}`;
const leaseKey = (instance: string): string => `${PREFIX}lease:${instance}`;
const placesKey = (instance: string): string => `${PREFIX}places:${instance}`;
const channelOf = (instance: string): string => `${PREFIX}to:${instance}`;
const reapLockKey = (instance: string): string => `${PREFIX}reaping:${instance}`;

/**
 * KEYS: room hash, rooms set, this instance's places. ARGV: room, id, instance, address key,
 * capacity, max per address, max rooms. The member's value is `<instance>|<address key>`.
 */
const ADMIT = `
local entries = redis.call('HGETALL', KEYS[1])
local others, fromAddress, replacedOn = {}, 0, ''
for i = 1, #entries, 2 do
  local id, value = entries[i], entries[i + 1]
  local bar = string.find(value, '|', 1, true)
  local instance, address = string.sub(value, 1, bar - 1), string.sub(value, bar + 1)
  if id == ARGV[2] then
    replacedOn = instance
  else
    table.insert(others, id)
    table.insert(others, instance)
    if address == ARGV[4] then fromAddress = fromAddress + 1 end
  end
end
if fromAddress >= tonumber(ARGV[6]) then return {'address-full', tostring(fromAddress)} end
if #others / 2 >= tonumber(ARGV[5]) then return {'room-full'} end
if #entries == 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[7]) then return {'too-many-rooms'} end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3] .. '|' .. ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1] .. '|' .. ARGV[2])
local result = {'admitted', replacedOn}
for _, value in ipairs(others) do table.insert(result, value) end
return result
`;

/**
 * KEYS: room hash, rooms set, the instance's places. ARGV: room, id, instance. Frees the place only
 * if this instance still holds it (the member may have joined again elsewhere since); returns the
 * instances of the members left.
 */
const RELEASE = `
redis.call('SREM', KEYS[3], ARGV[1] .. '|' .. ARGV[2])
local value = redis.call('HGET', KEYS[1], ARGV[2])
if (not value) or string.sub(value, 1, #ARGV[3] + 1) ~= ARGV[3] .. '|' then return {} end
redis.call('HDEL', KEYS[1], ARGV[2])
local rest = redis.call('HVALS', KEYS[1])
if #rest == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
local instances = {}
for _, v in ipairs(rest) do table.insert(instances, string.sub(v, 1, string.find(v, '|', 1, true) - 1)) end
return instances
`;

/**
 * KEYS: the dead instance's places, rooms set, instances set. ARGV: dead instance. Removes each of
 * its members that is still its own; returns triples room, id, and the remaining instances joined by
 * commas.
 */
const REAP = `
local places = redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, place in ipairs(places) do
  local bar = string.find(place, '|', 1, true)
  local room, id = string.sub(place, 1, bar - 1), string.sub(place, bar + 1)
  local key = '${PREFIX}room:' .. room
  local value = redis.call('HGET', key, id)
  if value and string.sub(value, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
    redis.call('HDEL', key, id)
    local rest = redis.call('HVALS', key)
    if #rest == 0 then redis.call('SREM', KEYS[2], room) end
    local instances = {}
    for _, v in ipairs(rest) do table.insert(instances, string.sub(v, 1, string.find(v, '|', 1, true) - 1)) end
    table.insert(out, room)
    table.insert(out, id)
    table.insert(out, table.concat(instances, ','))
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[1])
return out
`;

export interface RedisRoomBusOptions {
  url: string;
  /** How often the lease is renewed and the others' leases looked at. */
  heartbeatMs?: number;
  /** Heartbeats a lease outlives its last renewal. */
  leaseHeartbeats?: number;
  /** For logging what the bus does on its own (reaping, losing Redis). */
  log?: { info(object: object, message: string): void; warn(object: object, message: string): void };
}

type ScriptRunner = (keys: string[], args: (string | number)[]) => Promise<unknown>;

export class RedisRoomBus implements RoomBus {
  readonly shared = true;
  readonly instance = randomUUID();
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #heartbeatMs: number;
  readonly #leaseMs: number;
  #log: RedisRoomBusOptions['log'];
  readonly #eventListeners: ((event: BusEvent) => void)[] = [];
  readonly #readyListeners: ((ready: boolean) => void)[] = [];
  readonly #admit: ScriptRunner;
  readonly #release: ScriptRunner;
  readonly #reap: ScriptRunner;
  #ready = false;
  #everReady = false;
  #timer: NodeJS.Timeout | undefined;
  #closing = false;
  /** Events waiting for the end of this tick, per instance they go to. */
  readonly #outbox = new Map<string, string[]>();
  #flushScheduled = false;
  /** The last error a connection reported: "Connection is closed" alone would not say why. */
  #lastError: Error | undefined;

  private constructor(options: RedisRoomBusOptions) {
    this.#heartbeatMs = options.heartbeatMs ?? 1000;
    this.#leaseMs = this.#heartbeatMs * (options.leaseHeartbeats ?? 3);
    this.#log = options.log;
    // Commands fail at once while Redis is away rather than queue up behind a dead connection.
    const connection = { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (attempt: number) => Math.min(100 * attempt, 1000) };
    this.#commands = new Redis(options.url, { ...connection, lazyConnect: true });
    this.#subscriber = new Redis(options.url, { ...connection, lazyConnect: true });
    this.#admit = this.#script('parleyAdmit', ADMIT, 3);
    this.#release = this.#script('parleyRelease', RELEASE, 3);
    this.#reap = this.#script('parleyReap', REAP, 3);
    this.#subscriber.on('message', (_channel: string, text: string) => this.#receive(text));
    for (const client of [this.#commands, this.#subscriber]) {
      client.on('ready', () => void this.#checkReady());
      client.on('close', () => this.#setReady(false));
      // ioredis reports each failed reconnection; the 'close' above already told everyone.
      client.on('error', (error: Error) => (this.#lastError = error));
    }
  }

  /** Connects to Redis (it must answer now: an operator who set REDIS_URL wants to know at start). */
  static async connect(options: RedisRoomBusOptions): Promise<RedisRoomBus> {
    const bus = new RedisRoomBus(options);
    try {
      await Promise.all([bus.#commands.connect(), bus.#subscriber.connect()]);
    } catch (error) {
      bus.#commands.disconnect();
      bus.#subscriber.disconnect();
      const cause = bus.#lastError && bus.#lastError.message !== (error as Error).message ? ` (${bus.#lastError.message})` : '';
      throw new Error(`cannot reach Redis at ${redactedUrl(options.url)}: ${(error as Error).message}${cause}`);
    }
    await bus.#checkReady();
    bus.#timer = setInterval(() => void bus.#heartbeat(), bus.#heartbeatMs);
    return bus;
  }

  /** Where the bus reports what it does on its own. */
  useLog(log: NonNullable<RedisRoomBusOptions['log']>): void {
    this.#log = log;
  }

  get ready(): boolean {
    return this.#ready;
  }

  async admit(room: string, id: string, addressKey: string, limits: AdmissionLimits): Promise<Admission> {
    const reply = (await this.#admit([roomKey(room), ROOMS, placesKey(this.instance)], [room, id, this.instance, addressKey, limits.capacity, limits.maxPerAddress, limits.maxRooms])) as string[];
    switch (reply[0]) {
      case 'admitted': {
        const others: BusMember[] = [];
        for (let i = 2; i < reply.length; i += 2) others.push({ id: reply[i]!, instance: reply[i + 1]! });
        return { kind: 'admitted', others, replacedOn: reply[1] || undefined };
      }
      case 'address-full':
        return { kind: 'address-full', fromAddress: Number(reply[1]) };
      case 'room-full':
        return { kind: 'room-full' };
      default:
        return { kind: 'too-many-rooms' };
    }
  }

  async release(room: string, id: string): Promise<string[]> {
    const instances = (await this.#release([roomKey(room), ROOMS, placesKey(this.instance)], [room, id, this.instance])) as string[];
    return [...new Set(instances)];
  }

  send(instance: string, event: BusEvent): void {
    const queued = this.#outbox.get(instance);
    if (queued) queued.push(JSON.stringify(event));
    else this.#outbox.set(instance, [JSON.stringify(event)]);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // After every socket read in this turn of the event loop, not after each: more in one PUBLISH.
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (const [instance, events] of this.#outbox) {
      // A publish that fails (Redis just went away) is lost like every frame then: members are
      // disconnected and rejoin, which rebuilds everything.
      this.#commands.publish(channelOf(instance), `[${events.join(',')}]`).catch(() => undefined);
    }
    this.#outbox.clear();
  }

  onEvent(listener: (event: BusEvent) => void): void {
    this.#eventListeners.push(listener);
  }

  onReadyChange(listener: (ready: boolean) => void): void {
    this.#readyListeners.push(listener);
  }

  async ping(): Promise<number | undefined> {
    if (!this.#ready) return undefined;
    const started = performance.now();
    await this.#commands.ping();
    return (performance.now() - started) / 1000;
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    this.#setReady(false);
    // Leave cleanly: the others need not wait for the lease to run out.
    await this.#reapInstance(this.instance).catch(() => undefined);
    await this.#commands.del(leaseKey(this.instance)).catch(() => undefined);
    this.#commands.disconnect();
    this.#subscriber.disconnect();
  }

  /** Both connections up: subscribe (again, after a reconnect), renew the lease, say so. */
  async #checkReady(): Promise<void> {
    if (this.#closing || this.#commands.status !== 'ready' || this.#subscriber.status !== 'ready') return;
    try {
      await this.#subscriber.subscribe(channelOf(this.instance));
      // Back after losing Redis: every member here was disconnected, so whatever places Redis
      // still holds for this instance are stale (the others may have reaped them already).
      if (this.#everReady) await this.#reapInstance(this.instance);
      await this.#renewLease();
      this.#everReady = true;
      this.#setReady(true);
    } catch {
      // The next 'ready' tries again.
    }
  }

  #setReady(ready: boolean): void {
    if (this.#ready === ready || (ready && this.#closing)) return;
    this.#ready = ready;
    if (!ready && !this.#closing) this.#log?.warn({ instance: this.instance }, 'lost the connection to Redis; members here are disconnected until it is back');
    for (const listener of this.#readyListeners) listener(ready);
  }

  async #renewLease(): Promise<void> {
    await this.#commands.multi().set(leaseKey(this.instance), '1', 'PX', this.#leaseMs).sadd(INSTANCES, this.instance).exec();
  }

  async #heartbeat(): Promise<void> {
    if (!this.#ready) return;
    try {
      await this.#renewLease();
      const instances = await this.#commands.smembers(INSTANCES);
      for (const other of instances) {
        if (other === this.instance || (await this.#commands.exists(leaseKey(other))) === 1) continue;
        // Whoever takes the lock reaps; the others skip it.
        if ((await this.#commands.set(reapLockKey(other), this.instance, 'PX', this.#leaseMs, 'NX')) !== 'OK') continue;
        const removed = await this.#reapInstance(other);
        this.#log?.info({ instance: other, members: removed }, 'an instance stopped renewing its lease: its members left their rooms');
      }
    } catch {
      // Redis went away mid-beat; 'close' has said so.
    }
  }

  /** Removes an instance's members from their rooms and tells the instances of those who remain. */
  async #reapInstance(instance: string): Promise<number> {
    const reply = (await this.#reap([placesKey(instance), ROOMS, INSTANCES], [instance])) as string[];
    for (let i = 0; i < reply.length; i += 3) {
      const [room, id, instances] = [reply[i]!, reply[i + 1]!, reply[i + 2]!];
      for (const to of new Set(instances.split(',').filter((entry) => entry !== ''))) this.send(to, { type: 'left', room, id, reason: 'lost' });
    }
    return reply.length / 3;
  }

  #receive(text: string): void {
    let events: unknown;
    try {
      events = JSON.parse(text);
    } catch {
      return;
    }
    // Only instances of this deployment publish here: a batch is an array of events.
    if (!Array.isArray(events)) return;
    for (const event of events as BusEvent[]) for (const listener of this.#eventListeners) listener(event);
  }

  #script(name: string, source: string, keyCount: number): ScriptRunner {
    this.#commands.defineCommand(name, { numberOfKeys: keyCount, lua: source });
    return (keys, args) => (this.#commands as unknown as Record<string, (...values: (string | number)[]) => Promise<unknown>>)[name]!(...keys, ...args);
  }
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
