// Two Parley instances sharing rooms through a real redis-server, behind a real nginx that
// terminates TLS and takes turns between them (round robin, no sticky sessions), with Chromium
// chatting through it over https:// and wss://. The nginx config is docs/self-hosting.md's, with
// only ports and certificate paths replaced, so the documented setup is what runs.
//
// The members of one room are placed on both instances (each instance's /metrics says how many it
// holds), then one instance is killed outright (SIGKILL) together with the browser of one of its
// members: the others see her leave, which only the dead instance's lease running out in Redis can
// tell them; the other member on it moves through nginx to the surviving instance by himself, nobody
// sees him leave, and the chat goes on. A newcomer then reaches everyone through the survivor.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineBrowser, type ChatTab } from '../support/engines.js';
import { freePort } from '../support/free-port.js';
import { getOverTls, makeSelfSignedCertificate, readmeLocationBlock, selfHostingNginxConfig, startNginxWithTls, type RunningNginx, type SelfSignedCertificate } from '../support/nginx.js';
import { RedisProcess } from '../support/redis.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { LOST_PROBE_MS } from '../../web/room/link-supervisor.js';

const ARTIFACTS = 'test-results/e2e/multi-instance';
/** Bound on each wait for an instance's figures to show what a page did. */
const METRICS_WAIT_MS = 15_000;
/** Loads of one page allowed to land its signaling socket on the instance the test wants. */
const MAX_PLACEMENT_LOADS = 8;
/**
 * The dead instance's lease runs out 3 s after its last renewal (2.7–3.6 s after the kill, measured
 * here), and a survivor reaps it at once, telling the others the member was lost. A page whose
 * direct link to it still seems to work (Chromium notices a vanished peer only after some 6 s) asks
 * it to answer over the link, and drops it after LOST_PROBE_MS without an answer.
 */
const LEAVE_SEEN_WITHIN_MS = 20_000;
/** From the reaping to the lost member gone from a page's list: the probe's wait, and some slack. */
const GONE_AFTER_REAPING_WITHIN_MS = LOST_PROBE_MS + 1000;
/** The page retries signaling within 1.5 s (reconnect-policy.ts); nginx skips the dead instance. */
const REJOIN_WITHIN_MS = 10_000;

type InstanceName = 'A' | 'B';

interface Instance {
  name: InstanceName;
  process: ServerProcess;
  metricsPort: number;
}

/** What a page's chat element reported, stamped with the page's clock (this machine's). */
interface RoomEvent {
  at: number;
  type: 'peer-left' | 'peer-joined' | 'status';
  name?: string;
  phase?: string;
}

let redis: RedisProcess | undefined;
const instances = new Map<InstanceName, Instance>();
let nginx: RunningNginx | undefined;
/** docs/self-hosting.md's nginx config as run here. */
let nginxConfig = '';
/** nginx's plain-HTTP server, which only redirects to https://. */
let nginxHttpPort = 0;
let certificateDir: string | undefined;
let certificate: SelfSignedCertificate;
/** Ada, Bob and Dee share one Chromium; Cy has one of her own, to be killed with her instance. */
let browser: EngineBrowser | undefined;
let cyBrowser: EngineBrowser | undefined;
const timings: Record<string, number> = {};

let link = '';
let ada: ChatTab;
let bob: ChatTab;
let cy: ChatTab;
let adaOn: InstanceName;
let bobOn: InstanceName;
const history: string[] = [];

function instance(name: InstanceName): Instance {
  const found = instances.get(name);
  if (!found) throw new Error(`no instance ${name}`);
  return found;
}

const other = (name: InstanceName): InstanceName => (name === 'A' ? 'B' : 'A');
const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

function report(what: string, ms: number): void {
  timings[what] = Math.round(ms);
  console.log(`[multi] ${what}: ${Math.round(ms)} ms`);
}

/** One figure from an instance's /metrics, or undefined while the instance does not answer. */
async function metric(on: InstanceName, name: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await (await fetch(`http://127.0.0.1:${instance(on).metricsPort}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
  } catch {
    return undefined;
  }
  const value = new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`instance ${on}'s metrics have no ${name}`);
  return Number(value);
}

/** Members of rooms each instance holds on its own sockets (parley_room_members). */
async function membersOn(): Promise<Record<InstanceName, number | undefined>> {
  return { A: await metric('A', 'parley_room_members'), B: await metric('B', 'parley_room_members') };
}

/** Welcomes each instance has sent (parley_joins_total); 0 for an instance that is gone. */
async function joinsOn(): Promise<Record<InstanceName, number>> {
  return { A: (await metric('A', 'parley_joins_total')) ?? 0, B: (await metric('B', 'parley_joins_total')) ?? 0 };
}

/** Waits until Ada's instance holds `onAdas` members and Bob's `onBobs` (undefined: it is gone). */
async function waitForMembers(onAdas: number, onBobs: number | undefined, what: string): Promise<void> {
  const expected = { [adaOn]: onAdas, [bobOn]: onBobs };
  await expect.poll(membersOn, { timeout: METRICS_WAIT_MS, interval: 100, message: what }).toEqual(expected);
}

/** Waits for the next welcome on either instance and says which sent it. */
async function nextJoinAfter(before: Record<InstanceName, number>): Promise<InstanceName> {
  let landed: InstanceName | undefined;
  await expect
    .poll(
      async () => {
        const now = await joinsOn();
        landed = now.A > before.A ? 'A' : now.B > before.B ? 'B' : undefined;
        return landed;
      },
      { timeout: METRICS_WAIT_MS, interval: 50, message: 'a join on either instance' },
    )
    .toBeDefined();
  return landed!;
}

/**
 * Opens the room link in `tab` as `name` with its signaling socket on `wanted`. Round robin, not
 * the test, decides where the socket lands (the page's other requests take turns too). When it
 * lands on the other instance, one more request through nginx moves the turn on and the page is
 * reloaded: the same participant joins again. Returns how many loads it took.
 */
async function openLinkOn(tab: ChatTab, name: string, wanted: InstanceName): Promise<number> {
  for (let load = 1; ; load += 1) {
    const before = await joinsOn();
    if (load === 1) {
      await tab.goto(link);
      await tab.setName(name);
    } else {
      await tab.page.evaluate(async () => (await fetch('/healthz')).text());
      await tab.reload();
    }
    if ((await nextJoinAfter(before)) === wanted) return load;
    if (load === MAX_PLACEMENT_LOADS) throw new Error(`${name}'s signaling socket did not land on instance ${wanted} in ${load} page loads`);
  }
}

/** A tab that records, in the page, every leave, join and status change its chat element reports. */
async function newTab(on: EngineBrowser): Promise<ChatTab> {
  const tab = await on.openTab();
  await tab.page.evaluateOnNewDocument(() => {
    const events: { at: number; type: string; name?: string; phase?: string }[] = [];
    (window as unknown as { roomEvents: typeof events }).roomEvents = events;
    for (const type of ['peer-left', 'peer-joined'] as const) {
      window.addEventListener(`parley-${type}`, (event) => events.push({ at: Date.now(), type, name: (event as CustomEvent<{ peer: { name: string } }>).detail.peer.name }));
    }
    window.addEventListener('parley-status-change', (event) => events.push({ at: Date.now(), type: 'status', phase: (event as CustomEvent<{ status: { phase: string } }>).detail.status.phase }));
  });
  return tab;
}

function roomEvents(tab: ChatTab): Promise<RoomEvent[]> {
  return tab.page.evaluate(() => (window as unknown as { roomEvents?: RoomEvent[] }).roomEvents ?? []);
}

/** The proxy_* lines of an nginx config, without comments; proxy_pass aside (it names the upstream). */
function proxyDirectives(config: string): string[] {
  return config
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.startsWith('proxy_') && !line.startsWith('proxy_pass '));
}

/** Waits until `tab`'s room is joined again after `since`, and says when. */
async function joinedAgain(tab: ChatTab, since: number): Promise<number> {
  let at: number | undefined;
  await expect
    .poll(
      async () => {
        at = (await roomEvents(tab)).find((event) => event.type === 'status' && event.phase === 'joined' && event.at > since)?.at;
        return at;
      },
      { timeout: REJOIN_WITHIN_MS, interval: 50, message: 'the room to be joined again' },
    )
    .toBeDefined();
  return at!;
}

/** Waits until `tab` has heard `name` leave, and says when. */
async function leaveHeard(tab: ChatTab, name: string): Promise<number> {
  let at: number | undefined;
  await expect
    .poll(
      async () => {
        at = (await roomEvents(tab)).find((event) => event.type === 'peer-left' && event.name === name)?.at;
        return at;
      },
      { timeout: LEAVE_SEEN_WITHIN_MS, interval: 100, message: `${name} to leave` },
    )
    .toBeDefined();
  return at!;
}

/** The start of an instance's id on the room bus: the 8 characters it prints when it starts. */
function busInstanceId(on: Instance): string {
  const id = /rooms shared through Redis as instance ([0-9a-f]{8})/.exec(on.process.output())?.[1];
  if (!id) throw new Error(`instance ${on.name} did not say its id on the room bus:\n${on.process.output()}`);
  return id;
}

/**
 * Watches Redis (the bus's own keys, redis-room-bus.ts) until the instance whose id starts with
 * `busId` is no longer listed: its lease ran out and a survivor removed its members. Says when it
 * was last seen listed and when first seen gone.
 */
async function whenReaped(busId: string): Promise<{ stillThereAt: number; goneAt: number }> {
  const watcher = new Redis(redis!.url, { maxRetriesPerRequest: 1 });
  try {
    const deadline = Date.now() + LEAVE_SEEN_WITHIN_MS;
    let stillThereAt = Date.now();
    for (;;) {
      const listed = (await watcher.smembers('parley:instances')).some((id) => id.startsWith(busId));
      if (!listed) return { stillThereAt, goneAt: Date.now() };
      stillThereAt = Date.now();
      if (stillThereAt > deadline) throw new Error(`instance ${busId} was still listed in Redis ${LEAVE_SEEN_WITHIN_MS} ms after it was killed`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    watcher.disconnect();
  }
}

/** How many members each room in Redis holds. */
async function roomsInRedis(): Promise<number[]> {
  const reader = new Redis(redis!.url, { maxRetriesPerRequest: 1 });
  try {
    const rooms = await reader.smembers('parley:rooms');
    return Promise.all(rooms.map((room) => reader.hlen(`parley:room:${room}`)));
  } finally {
    reader.disconnect();
  }
}

/** How `name` shows in `tab`'s participants list from `since` until it is gone: each change, timed. */
async function watchParticipant(tab: ChatTab, name: string, since: number): Promise<string[]> {
  const changes: string[] = [];
  let last = '';
  const deadline = since + LEAVE_SEEN_WITHIN_MS;
  while (Date.now() < deadline) {
    const state = (await tab.participants()).find((participant) => participant.name === name)?.state ?? 'gone';
    if (state !== last) changes.push(`${state} +${Date.now() - since} ms`);
    last = state;
    if (state === 'gone') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return changes;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  redis = await RedisProcess.start();
  for (const name of ['A', 'B'] as const) {
    const metricsPort = await freePort();
    const server = await startServerProcess([], {
      REDIS_URL: redis.url,
      TRUST_PROXY: '1',
      METRICS_PORT: String(metricsPort),
      // Every visitor comes from 127.0.0.1 here, and placing a member may take a few page loads.
      JOINS_PER_MINUTE_PER_IP: '200',
    });
    instances.set(name, { name, process: server, metricsPort });
  }
  certificateDir = mkdtempSync(join(tmpdir(), 'parley-multi-tls-'));
  certificate = makeSelfSignedCertificate(certificateDir);
  const httpsPort = await freePort();
  nginxHttpPort = await freePort();
  nginxConfig = selfHostingNginxConfig({
    instancePorts: [instance('A').process.port, instance('B').process.port],
    httpsPort,
    httpPort: nginxHttpPort,
    certificate,
  });
  nginx = await startNginxWithTls(nginxConfig, httpsPort, certificate);
  // Chromium accepts this one self-signed key, rather than every certificate (--ignore-certificate-errors).
  const chromiumArgs = [`--ignore-certificate-errors-spki-list=${certificate.spkiSha256}`];
  browser = await EngineBrowser.launch('chromium', { chromiumArgs });
  cyBrowser = await EngineBrowser.launch('chromium', { chromiumArgs });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await cyBrowser?.close().catch(() => undefined);
  await nginx?.stop();
  for (const { process: server } of instances.values()) {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
  }
  await redis?.kill();
  if (certificateDir) rmSync(certificateDir, { recursive: true, force: true });
  writeFileSync(`${ARTIFACTS}/timings.json`, JSON.stringify(timings, null, 2));
});

// Tabs live on through the room's steps, so a problem is blamed on the step in which it happened.
afterEach(() => {
  expect([...(browser?.takeProblems() ?? []), ...(cyBrowser?.takeProblems() ?? [])]).toEqual([]);
});

describe('two instances behind nginx with TLS, sharing rooms through Redis', () => {
  it('nginx as documented: the README’s proxy lines, the app over https:// with HSTS, plain http:// redirected to it', async () => {
    expect(proxyDirectives(nginxConfig)).toEqual(proxyDirectives(readmeLocationBlock(8080)));
    const page = await getOverTls(`${nginx!.origin}/`, certificate.pem);
    expect(page.status).toBe(200);
    expect(page.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    // Parley's own headers come through the proxy untouched.
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const plain = await fetch(`http://127.0.0.1:${nginxHttpPort}/some/path`, { redirect: 'manual' });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe('https://127.0.0.1/some/path');
  });

  it('Ada makes a room over https://, Bob opens the link on the other instance, and both chat both ways over wss://', async () => {
    ada = await newTab(browser!);
    const started = performance.now();
    const joinsBefore = await joinsOn();
    link = await ada.createRoom(nginx!.origin);
    expect(link.startsWith(`https://127.0.0.1:${nginx!.port}/#`)).toBe(true);
    await ada.setName('Ada');
    await ada.waitForStatus(/Connected/);
    adaOn = await nextJoinAfter(joinsBefore);
    bobOn = other(adaOn);
    // WebCrypto needs a secure context: the proxy's TLS gives the page one.
    expect(await ada.page.evaluate(() => window.isSecureContext)).toBe(true);
    expect(await ada.copyRoomLink()).toBe(link);
    report(`Ada: landing page → room made, joined on instance ${adaOn}`, performance.now() - started);

    bob = await newTab(browser!);
    const opened = performance.now();
    const loads = await openLinkOn(bob, 'Bob', bobOn);
    await bob.waitForConnected(['Ada']);
    await bob.send('Hello from Bob');
    await ada.waitForLastMessage('Hello from Bob');
    report(`Bob: link opened → joined on instance ${bobOn} (${plural(loads, 'page load')}) → his first message shown to Ada`, performance.now() - opened);
    await ada.waitForConnected(['Bob']);
    await ada.send('Hello from Ada');
    await bob.waitForLastMessage('Hello from Ada');
    history.push('Hello from Bob', 'Hello from Ada');
    for (const person of [ada, bob]) await person.waitForLog(history);

    // One member on each instance, by the instances' own count: fails if both went to one.
    await waitForMembers(1, 1, 'one member on each instance');
  });

  it('Cy joins on Bob’s instance, sees the conversation so far and reaches both', async () => {
    cy = await newTab(cyBrowser!);
    const opened = performance.now();
    const loads = await openLinkOn(cy, 'Cy', bobOn);
    await cy.waitForConnected(['Ada', 'Bob']);
    await cy.waitForLog(history);
    await cy.send('Cy here');
    history.push('Cy here');
    for (const person of [ada, bob, cy]) await person.waitForLog(history);
    report(`Cy: link opened → joined on instance ${bobOn} (${plural(loads, 'page load')}) → her message shown to both`, performance.now() - opened);
    await ada.waitForConnected(['Bob', 'Cy']);
    await bob.waitForConnected(['Ada', 'Cy']);
    await waitForMembers(1, 2, `Ada alone on instance ${adaOn}, Bob and Cy on ${bobOn}`);
    await ada.screenshot(`${ARTIFACTS}/1-three-on-two-instances-ada.png`);
  });

  it('Bob’s instance is killed with Cy’s browser: both see Cy leave, Bob moves to the survivor by himself, and nobody sees him leave', async () => {
    const dead = instance(bobOn);
    const deadBusId = busInstanceId(dead);
    const deadExited = dead.process.exited;
    const killedAt = Date.now();
    // The instance first, so that it never hears Cy's socket close: only its lease can tell of her.
    dead.process.child.kill('SIGKILL');
    cyBrowser!.browser.process()?.kill('SIGKILL');
    const reaped = whenReaped(deadBusId);
    const adaViewOfCy = watchParticipant(ada, 'Cy', killedAt);
    await deadExited;

    // Bob's page reconnects on its own; nginx finds the dead instance refusing and passes him on.
    const bobRejoinedAt = await joinedAgain(bob, killedAt);
    await waitForMembers(2, undefined, `Ada and Bob both on instance ${adaOn}`);
    report(`Bob: instance ${bobOn} killed → his page joined again, on instance ${adaOn} through nginx`, bobRejoinedAt - killedAt);

    // The chat goes on, both ways (over the direct link, which the kill never touched).
    await bob.send('Still here after my server died');
    await ada.waitForLastMessage('Still here after my server died');
    await ada.send('Glad to hear it');
    await bob.waitForLastMessage('Glad to hear it');
    history.push('Still here after my server died', 'Glad to hear it');
    for (const person of [ada, bob]) await person.waitForLog(history);

    const { stillThereAt, goneAt } = await reaped;
    report(`Redis: instance ${bobOn} killed → its lease ran out and the survivor removed its members`, goneAt - killedAt);
    // Ada and Bob are the room now, in Redis too: Cy's place went with the lease, Bob's moved.
    expect(await roomsInRedis()).toEqual([2]);
    const adaHeardCyLeave = await leaveHeard(ada, 'Cy');
    const bobHeardCyLeave = await leaveHeard(bob, 'Cy');
    report('Ada: instance killed → Cy gone from her list', adaHeardCyLeave - killedAt);
    report('Bob: instance killed → Cy gone from his list', bobHeardCyLeave - killedAt);
    // Only the reaping tells of Cy: while the server lists her, a page keeps trying to reach her.
    expect(adaHeardCyLeave).toBeGreaterThan(stillThereAt);
    expect(bobHeardCyLeave).toBeGreaterThan(stillThereAt);
    // And once it tells, a silent link does not keep her listed.
    expect(adaHeardCyLeave - goneAt).toBeLessThan(GONE_AFTER_REAPING_WITHIN_MS);
    expect(bobHeardCyLeave - goneAt).toBeLessThan(GONE_AFTER_REAPING_WITHIN_MS);
    console.log(`[multi] Ada's list, Cy after the kill: ${(await adaViewOfCy).join(' → ')}`);
    await ada.waitForConnected(['Bob']);
    await bob.waitForConnected(['Ada']);

    // Nobody heard Bob or Ada leave, at any moment: the same people, no ghost, no flicker.
    const adaEvents = await roomEvents(ada);
    const bobEvents = await roomEvents(bob);
    const leftSinceKill = (events: RoomEvent[]): (string | undefined)[] => events.filter((event) => event.type === 'peer-left' && event.at >= killedAt).map((event) => event.name);
    expect(leftSinceKill(adaEvents)).toEqual(['Cy']);
    expect(leftSinceKill(bobEvents)).toEqual(['Cy']);
    const phasesSinceKill = (events: RoomEvent[]): string[] => events.filter((event) => event.type === 'status' && event.at >= killedAt).map((event) => `${event.phase} +${event.at - killedAt} ms`);
    console.log(`[multi] Bob's status after the kill: ${phasesSinceKill(bobEvents).join(', ')}`);
    expect(phasesSinceKill(adaEvents)).toEqual([]);
    await ada.screenshot(`${ARTIFACTS}/2-after-the-kill-ada.png`);
    await bob.screenshot(`${ARTIFACTS}/2-after-the-kill-bob.png`);
  });

  it('Dee joins through the survivor alone and reaches Ada and Bob; no ghost of Cy is left', async () => {
    const dee = await newTab(browser!);
    const opened = performance.now();
    await dee.goto(link);
    await dee.setName('Dee');
    await dee.waitForConnected(['Ada', 'Bob']);
    await dee.waitForLog(history);
    await dee.send('Dee, after the crash');
    history.push('Dee, after the crash');
    for (const person of [ada, bob, dee]) await person.waitForLog(history);
    report(`Dee: link opened → her message shown to Ada and Bob, all on instance ${adaOn}`, performance.now() - opened);
    // Dee's page took several requests in turn, so nginx tried the dead instance at least once, and
    // passed what it refused on to the survivor (Bob's reconnect may have been one of them, or not).
    const refused = nginx!.output().match(/connect\(\) failed \(111: Connection refused\) while connecting to upstream/g)?.length ?? 0;
    console.log(`[multi] nginx: ${plural(refused, 'request')} refused by the dead instance since the kill, each passed on to the survivor`);
    expect(refused).toBeGreaterThanOrEqual(1);
    await ada.waitForConnected(['Bob', 'Dee']);
    await bob.waitForConnected(['Ada', 'Dee']);
    await waitForMembers(3, undefined, `Ada, Bob and Dee on instance ${adaOn}`);
    await dee.screenshot(`${ARTIFACTS}/3-newcomer-after-the-kill-dee.png`);
  });
});
