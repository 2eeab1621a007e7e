/**
 * Parley across networks: the same two measures over each path a connection can take, side by
 * side, in a lab of network namespaces (test/support/network-lab.ts, as test/e2e/nat-traversal
 * builds it): the Parley server and coturn on the lab's "internet", each Chromium in a home of its
 * own behind a NAT router.
 *
 * - direct: two Chromium processes on the same home's LAN machine, no NAT between them; ICE pairs
 *   host ↔ host, which the kernel delivers inside the namespace, as on loopback;
 * - through STUN: two homes behind endpoint-independent NATs, with Parley's built-in STUN;
 * - relayed: two homes behind symmetric NATs, so only TURN gets through: coturn run from the
 *   shipped docs/coturn.conf, with Parley's short-lived credentials. That file's `max-bps=1000000`
 *   caps each relayed session at about 1 MB/s each way;
 * - relayed, cap lifted: the same with coturn's `--max-bps 0 --bps-capacity 0` (throughput only),
 *   to show what the cap costs.
 *
 * The measures: link opened → first message shown, in the Parley app as two people use it; and
 * the bulk throughput of a raw RTCDataChannel between two pages of the Parley origin, using the ICE
 * servers (TURN credentials included) of a real welcome. The raw channel measures the path: through
 * the app, every message also waits for a signature and its check (performance.md), which would
 * hide what the network carries.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ConsoleMessage, Page } from 'puppeteer-core';
import { ClientMessageType, PROTOCOL_VERSION, SIGNAL_PATH, ServerMessageType, type IceServer, type JoinMessage } from '../protocol/signaling.js';
import { SHIPPED_COTURN_CONFIG, TURNSERVER, startCoturn, type RunningCoturn, type SpawnCommand } from '../test/support/coturn.js';
import { EngineBrowser, type ChatTab } from '../test/support/engines.js';
import { NetworkLab } from '../test/support/network-lab.js';
import { SERVER_ENTRY, startServerProcess, type ServerProcess } from '../test/support/server-process.js';
import { pathFromStats, type LinkPath, type LinkRoute } from '../web/transport/link-diagnosis.js';
import { raisedLimitFlags } from './parley-limits.js';
import { PARLEY_SERVER_ENTRY, SHIPPED_COTURN_CONFIG_SOURCE } from './paths.js';

export type NetworkPath = 'direct' | 'stun' | 'relayed' | 'relayedUncapped';

export const NETWORK_PATHS: readonly NetworkPath[] = ['direct', 'stun', 'relayed', 'relayedUncapped'];

export const NETWORK_PATH_LABEL: Record<NetworkPath, string> = {
  direct: 'direct, no NAT (one LAN host)',
  stun: 'through NAT (built-in STUN)',
  relayed: 'relayed (coturn, shipped 1 MB/s cap)',
  relayedUncapped: 'relayed, cap lifted',
};

export interface NetworkPathRun {
  smoke: boolean;
  reps: number;
  /** Called with each figure as soon as its path is verified, so a later failure keeps them. */
  record(metric: string, path: NetworkPath, value: number): void;
  note(text: string): void;
}

const TURN_SECRET = 'bench-network-paths-secret-0123456789';
/** Ports inside the lab's internet namespace, which holds only this scenario's processes. */
const PORTS = { stunOnlyServer: 3478, cappedTurn: 3479, turnServerStun: 3480, uncappedTurn: 3481, uncappedServerStun: 3482 } as const;
/** Runs of link opened → first message per path and repetition: single runs vary by ±40 % here. */
const LINK_SAMPLES_PER_REP = 3;
const FIRST_MESSAGE = 'hello across the network';
/** A link that never connects is run once more before the scenario fails (see measureLink). */
const LINK_ATTEMPTS = 2;
/** Parley reads each link's path every 5 s (PATH_REFRESH_MS): time for one more reading. */
const ROUTE_SETTLE_MS = 8_000;
/** A relayed link gathers a TURN allocation first; Parley's own connect timeout is 15 s. */
const LINK_TIMEOUT_MS = 30_000;
const MiB = 1024 * 1024;

interface BulkSizes {
  bytes: number;
  warmUpBytes: number;
  chunkBytes: number;
  pauseAboveBytes: number;
  resumeBelowBytes: number;
}

const BULK: BulkSizes = { bytes: 8 * MiB, warmUpBytes: 2 * MiB, chunkBytes: 64 * 1024, pauseAboveBytes: 4 * MiB, resumeBelowBytes: 1 * MiB };
const SMOKE_BULK: BulkSizes = { ...BULK, bytes: 1 * MiB, warmUpBytes: 256 * 1024 };
/** 8 MiB at half the relay's cap takes 17 s; anything near this bound is broken, not slow. */
const TRANSFER_TIMEOUT_MS = 90_000;
const GATHERING_TIMEOUT_MS = 10_000;
const CHANNEL_OPEN_TIMEOUT_MS = 20_000;
const WELCOME_TIMEOUT_MS = 10_000;

/** What each path runs on: the server's origin, the two people's browsers, the route it must take. */
interface PathSetup {
  path: NetworkPath;
  origin: string;
  ada: EngineBrowser;
  bob: EngineBrowser;
  route: LinkRoute;
}

/** The route a path took was not the one it stands for: its figures would measure something else. */
class UnexpectedRouteError extends Error {}

/** Why this machine cannot run the scenario, in words for the report, or undefined when it can. */
export async function networkPathsUnavailable(): Promise<string | undefined> {
  const labUnavailable = await NetworkLab.unavailableReason();
  if (labUnavailable) return labUnavailable;
  if (!existsSync(TURNSERVER)) return `coturn is not installed (no ${TURNSERVER}; apt-get install coturn)`;
  return undefined;
}

/**
 * test/support finds the built server and docs/coturn.conf relative to its own file, which the bench
 * build compiles into dist/bench/test/support/: link those two places to the real files.
 */
async function linkFilesForCompiledSupport(): Promise<void> {
  for (const [expected, actual] of [
    [SERVER_ENTRY, PARLEY_SERVER_ENTRY],
    [SHIPPED_COTURN_CONFIG, SHIPPED_COTURN_CONFIG_SOURCE],
  ] as const) {
    if (resolve(expected) === resolve(actual)) continue;
    await mkdir(dirname(expected), { recursive: true });
    await rm(expected, { force: true });
    await symlink(actual, expected);
  }
}

/**
 * The lab's "internet" has no default route, so coturn's relayed checks toward a home's private
 * address (a browser's host candidate) fail with "udp send: Network is unreachable", and coturn 4.6
 * relays nothing more for that allocation: a relayed link died a second or two after it opened,
 * before any transfer ended (measured). A real server has a default route, and such packets vanish
 * upstream; here they go into a veth with ARP off, whose far end takes no frame addressed as they are.
 */
const epochNow = (): number => performance.timeOrigin + performance.now();

export async function runNetworkPathScenarios({ smoke, reps, record, note }: NetworkPathRun): Promise<void> {
  await linkFilesForCompiledSupport();
  const lab = new NetworkLab({ sites: ['endpoint-independent', 'endpoint-independent', 'symmetric', 'symmetric'] });
  const servers: ServerProcess[] = [];
  const coturns: RunningCoturn[] = [];
  const browsers: EngineBrowser[] = [];
  try {
    await lab.create();
    const inInternet =
      (extraTurnArgs: readonly string[] = []): SpawnCommand =>
      (command, args) =>
        lab.spawnIn(lab.internetNamespace, command, command === TURNSERVER ? [...args, ...extraTurnArgs] : [...args]);
    const cappedTurn = await startCoturn({ listenAddress: lab.serverAddress, secret: TURN_SECRET, port: PORTS.cappedTurn, spawn: inInternet() });
    coturns.push(cappedTurn);
    // coturn reads its command line after the file, so these override the shipped limits alone (0:
    // none; it refuses a server capacity without a per-session one, so both go).
    const uncappedTurn = await startCoturn({ listenAddress: lab.serverAddress, secret: TURN_SECRET, port: PORTS.uncappedTurn, spawn: inInternet(['--max-bps', '0', '--bps-capacity', '0']) });
    coturns.push(uncappedTurn);

    const parley = async (env: NodeJS.ProcessEnv): Promise<string> => {
      // Limits raised as in the other browser scenarios: one home's pages all come from its
      // router's one address, and would meet the per-address join limit within a run.
      const server = await startServerProcess(raisedLimitFlags(), env, {
        host: lab.serverAddress,
        spawnWith: (command, args, options) => lab.spawnIn(lab.internetNamespace, command, args, options),
      });
      servers.push(server);
      return `http://${lab.serverAddress}:${server.port}`;
    };
    const stunOnly = await parley({ STUN_PORT: String(PORTS.stunOnlyServer) });
    const withTurn = await parley({ STUN_PORT: String(PORTS.turnServerStun), TURN_URLS: cappedTurn.url, TURN_SECRET });
    const withUncappedTurn = await parley({ STUN_PORT: String(PORTS.uncappedServerStun), TURN_URLS: uncappedTurn.url, TURN_SECRET });

    // Pages from the lab's address are not "secure" to the browser (no TLS, not localhost), and
    // Parley needs WebCrypto: the browser treats these origins as a deployment's https.
    const secureOrigins = `--unsafely-treat-insecure-origin-as-secure=${[stunOnly, withTurn, withUncappedTurn].join(',')}`;
    const launchAt = async (namespace: string): Promise<EngineBrowser> => {
      const browser = await EngineBrowser.launch('chromium', { executablePath: await lab.browserExecutable(namespace, 'chromium'), chromiumArgs: [secureOrigins] });
      browsers.push(browser);
      return browser;
    };
    const [home, otherHome, strictHome, otherStrictHome] = lab.sites;
    const atHome = await launchAt(home!.clientNamespace);
    const alsoAtHome = await launchAt(home!.clientNamespace);
    const atOtherHome = await launchAt(otherHome!.clientNamespace);
    const atStrictHome = await launchAt(strictHome!.clientNamespace);
    const atOtherStrictHome = await launchAt(otherStrictHome!.clientNamespace);
    const setups: Record<NetworkPath, PathSetup> = {
      direct: { path: 'direct', origin: stunOnly, ada: atHome, bob: alsoAtHome, route: 'local-network' },
      stun: { path: 'stun', origin: stunOnly, ada: atHome, bob: atOtherHome, route: 'through-nat' },
      relayed: { path: 'relayed', origin: withTurn, ada: atStrictHome, bob: atOtherStrictHome, route: 'relayed' },
      relayedUncapped: { path: 'relayedUncapped', origin: withUncappedTurn, ada: atStrictHome, bob: atOtherStrictHome, route: 'relayed' },
    };
    // The cap matters only for bulk transfers: a link's few kilobytes go the same way through both.
    const linkPaths: NetworkPath[] = ['direct', 'stun', 'relayed'];

    const pairsSeen = new Map<string, string>();
    const seePair = (what: string, pair: string): void => void (pairsSeen.has(what) || pairsSeen.set(what, pair));

    const lateRoutes = new Map<NetworkPath, string[]>();
    const linksNotMade: string[] = [];
    const measureLink = async (path: NetworkPath): Promise<number> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const { ms, pair, firstShown } = await linkToFirstMessage(setups[path]);
          seePair(`link ${path}`, pair);
          if (firstShown) lateRoutes.set(path, [...(lateRoutes.get(path) ?? []), firstShown]);
          return ms;
        } catch (error) {
          // A link that never connects has no time to record; it is reported, and run once more
          // with fresh tabs. A wrong route, or a second failure in a row, ends the scenario.
          if (error instanceof UnexpectedRouteError || attempt === LINK_ATTEMPTS) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          linksNotMade.push(reason);
          process.stderr.write(`  paths: a link did not connect, running it again: ${reason}\n`);
        }
      }
    };
    // The first page load of each browser is slower: warm every browser up once, unrecorded.
    if (!smoke) for (const path of linkPaths) await measureLink(path);
    for (let rep = 1; rep <= reps; rep += 1) {
      for (let sample = 0; sample < (smoke ? 1 : LINK_SAMPLES_PER_REP); sample += 1) {
        for (const path of linkPaths) record('paths.linkToFirstMessageMs', path, await measureLink(path));
      }
      process.stderr.write(`  paths link → first message rep ${rep} done\n`);
    }
    const sizes = smoke ? SMOKE_BULK : BULK;
    for (let rep = 1; rep <= reps; rep += 1) {
      for (const path of NETWORK_PATHS) {
        const { mibPerSecond, pair } = await bulkThroughput(setups[path], sizes);
        record('paths.bulkMiBPerSecond', path, mibPerSecond);
        seePair(`bulk ${path}`, pair);
      }
      process.stderr.write(`  paths throughput rep ${rep} done\n`);
    }

    for (const browser of browsers) for (const problem of browser.takeProblems()) note(`Across networks: a page reported ${problem}`);
    const linksPerPath = (smoke ? 0 : 1) + reps * (smoke ? 1 : LINK_SAMPLES_PER_REP);
    if (linksNotMade.length > 0) {
      note(`Across networks: ${linksNotMade.length} of ${linksPerPath * linkPaths.length + linksNotMade.length} links did not connect and were run again (not in the figures): ${linksNotMade.join(' | ')}`);
    }
    for (const [path, shown] of lateRoutes) {
      note(`Across networks, ${NETWORK_PATH_LABEL[path]}: in ${shown.length} of ${linksPerPath} links a participant's details first showed ${[...new Set(shown)].join(', ')}, and the path's own route only at Parley's next path reading (every 5 s).`);
    }
    note(
      'Across networks (network namespaces, test/support/network-lab.ts): direct = two Chromium processes on one home LAN machine, no NAT (host ↔ host, delivered by the kernel inside the namespace as on loopback); ' +
        'through NAT = two homes behind endpoint-independent NATs with the server\'s built-in STUN; relayed = two homes behind symmetric NATs through coturn from docs/coturn.conf with Parley\'s short-lived TURN credentials, ' +
        'whose max-bps=1000000 caps each relayed session at 1 MB/s (0.95 MiB/s) each way; cap lifted = the same coturn with --max-bps 0 --bps-capacity 0 (no bandwidth limits). ' +
        `The signaling server is on the lab's "internet" for every path. Selected pairs: ${[...pairsSeen].map(([what, pair]) => `${what}: ${pair}`).join('; ')}.`,
    );
    note(
      `Across networks, link opened → first message shown: the Parley app in two Chromium processes; Ada's room is open and named, the clock starts when Bob's tab opens the link, Bob sends as soon as Ada shows as connected, and it stops when Ada's page receives his message (${smoke ? '1 run' : `${LINK_SAMPLES_PER_REP} runs`} per path and repetition, paths alternating, fresh tabs each). ` +
        `Throughput: ${sizes.bytes / MiB} MiB in ${sizes.chunkBytes / 1024} KiB chunks over a raw RTCDataChannel (pause above ${sizes.pauseAboveBytes / MiB} MiB buffered, resume below ${sizes.resumeBelowBytes / MiB} MiB) after a ${sizes.warmUpBytes / MiB} MiB warm-up, between pages of the Parley origin using the ICE servers of a Parley welcome; the selected route is checked every run.`,
    );
  } finally {
    for (const browser of browsers) await browser.close().catch(() => undefined);
    for (const server of servers) server.child.kill('SIGKILL');
    for (const coturn of coturns) await coturn.stop().catch(() => undefined);
    await lab.destroy();
  }
}

// ---- link opened → first message shown -----------------------------------------------------------

interface FirstMessageMarks {
  /** epoch ms, sub-ms precision */
  firstMessageAt: number;
}

/** Runs in Ada's page before its scripts: when the first message from someone else arrives. */
function markFirstMessageArrival(): void {
  const marks: FirstMessageMarks = { firstMessageAt: 0 };
  (window as unknown as { pathBench: FirstMessageMarks }).pathBench = marks;
  document.addEventListener('parley-message', (event) => {
    if (event.detail.message.own || marks.firstMessageAt) return;
    marks.firstMessageAt = performance.timeOrigin + performance.now();
    console.debug('bench:first-message');
  });
}

/** Runs in Bob's page before its scripts: he sends as soon as `name` shows as connected. */
function sendWhenConnectedTo(name: string, text: string): void {
  let sent = false;
  document.addEventListener('parley-peer-joined', (event) => {
    if (sent || event.detail.peer.name !== name) return;
    sent = true;
    document.querySelector('parley-chat')!.send(text);
  });
}

/**
 * Resolves when the page logs `bench:<name>`. The clock runs while it waits, so the page is not
 * polled: each poll would be a script run on the main thread being measured.
 */
function consoleMark(page: Page, name: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = (message: ConsoleMessage): void => {
      if (message.text() !== `bench:${name}`) return;
      clearTimeout(timer);
      page.off('console', listener);
      resolve();
    };
    const timer = setTimeout(() => {
      page.off('console', listener);
      reject(new Error(`${page.url()} did not reach bench:${name} within ${timeoutMs} ms`));
    }, timeoutMs);
    page.on('console', listener);
  });
}

/**
 * As test/e2e/nat-traversal's `meet`: Ada makes a room and is connected to the server; the clock
 * starts when Bob's tab opens the link and stops when Ada's page has his first message. Then, off
 * the clock, both sides must report the route the path stands for.
 */
async function linkToFirstMessage({ path, origin, ada: adaBrowser, bob: bobBrowser, route }: PathSetup): Promise<{ ms: number } & RouteCheck> {
  try {
    const ada = await adaBrowser.openTab();
    await ada.page.evaluateOnNewDocument(markFirstMessageArrival);
    const link = await ada.createRoom(origin);
    await ada.setName('Ada');
    await ada.waitForStatus(/Connected/);
    const bob = await bobBrowser.openTab();
    await bob.page.evaluateOnNewDocument(sendWhenConnectedTo, 'Ada', FIRST_MESSAGE);
    const arrived = consoleMark(ada.page, 'first-message', LINK_TIMEOUT_MS);
    // Awaited only after the navigation: until then a failure must not count as unhandled.
    arrived.catch(() => undefined);
    const opened = epochNow();
    await bob.goto(link);
    await arrived.catch(async (error: unknown) => {
      const problems = [...adaBrowser.takeProblems(), ...bobBrowser.takeProblems()];
      throw new Error(
        `${NETWORK_PATH_LABEL[path]}: ${error instanceof Error ? error.message : String(error)}; Ada's page showed ${await shownState(ada)}, Bob's ${await shownState(bob)}${problems.length > 0 ? `; pages reported ${problems.join('; ')}` : ''}`,
      );
    });
    const firstMessageAt = await ada.page.evaluate(() => (window as unknown as { pathBench: FirstMessageMarks }).pathBench.firstMessageAt);
    await ada.waitForLastMessage(FIRST_MESSAGE);
    await bob.setName('Bob');
    const { pair, firstShown } = await expectRoute(path, route, [
      [ada, 'Bob'],
      [bob, 'Ada'],
    ]);
    return { ms: firstMessageAt - opened, pair, firstShown };
  } finally {
    await adaBrowser.closeTabs();
    await bobBrowser.closeTabs();
  }
}

/** What a chat page shows of the room, for an error. */
function shownState(tab: ChatTab): Promise<string> {
  return tab.page
    .evaluate(() => {
      const chat = document.querySelector('parley-chat');
      return JSON.stringify({ status: chat?.status, participants: chat?.participants.map(({ name, state, proof, problem, path, linkFailure }) => ({ name, state, proof, problem, path, linkFailure })) });
    })
    .catch((error: unknown) => `nothing (${error instanceof Error ? error.message : String(error)})`);
}

interface RouteCheck {
  /** The selected pair as the first side's details say ("host ↔ host, udp"). */
  pair: string;
  /** What a side showed first, when it showed another route before the path's own. */
  firstShown?: string;
}

/**
 * Both people's details must show the path's route. A first reading may be corrected by Parley's
 * next one (it reads every PATH_REFRESH_MS): a peer whose checks arrived before its candidates is
 * peer-reflexive, whose address Chromium's stats leave out, so it reads as "through NAT" until the
 * signalled candidate takes its place.
 */
async function expectRoute(path: NetworkPath, route: LinkRoute, sides: [ChatTab, string][]): Promise<RouteCheck> {
  const check: RouteCheck = { pair: '' };
  for (const [tab, other] of sides) {
    await tab.waitForConnected([other]);
    let details = await tab.connectionOf(other);
    if (details.route !== route) {
      check.firstShown ??= `${details.route ?? 'no route'} (${details.candidates ?? 'no pair'})`;
      details = await tab.waitForConnection(other, (shown) => shown.route === route, `the route ${route}`, ROUTE_SETTLE_MS).catch(() => tab.connectionOf(other));
    }
    if (details.route !== route) {
      throw new UnexpectedRouteError(`${NETWORK_PATH_LABEL[path]}: the chat connected ${details.route ?? 'by no route'} ("${details.text}", ${details.candidates ?? 'no pair'}), not ${route}; its figures would measure another path`);
    }
    check.pair ||= details.candidates ?? '';
  }
  return check;
}

// ---- bulk throughput over a raw data channel --------------------------------------------------------

/** What each raw page keeps: its connection, its channel, and the receiving side's count. */
interface BulkEnd {
  pc: RTCPeerConnection;
  channel: RTCDataChannel | undefined;
  receivedBytes: number;
  expectBytes: number;
  /** epoch ms when `expectBytes` had all arrived */
  doneAt: number;
}

type BulkWindow = { bulk: BulkEnd };

/**
 * Runs in a page of the Parley origin: joins a throwaway room over the signaling socket, as the
 * app does, only to be handed the welcome's ICE servers (Parley's STUN, TURN with fresh
 * credentials for this connection). Then it leaves.
 */
function iceServersOfWelcome(join: JoinMessage, signalPath: string, welcomeType: string, timeoutMs: number): Promise<IceServer[]> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}${signalPath}`);
    const fail = (why: string): void => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail(`no welcome within ${timeoutMs} ms`), timeoutMs);
    socket.onopen = () => socket.send(JSON.stringify(join));
    socket.onerror = () => fail('the signaling socket failed');
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { type: string; iceServers?: IceServer[] };
      if (message.type !== welcomeType) return fail(`the server answered ${String(event.data).slice(0, 200)}`);
      clearTimeout(timer);
      socket.close();
      resolve(message.iceServers ?? []);
    };
  });
}

/**
 * Runs in a raw page: makes the connection (the offerer makes the channel), waits for its
 * candidates to be gathered, and returns the whole description. The harness carries descriptions
 * between the pages: no trickle, since only the transfer that follows is timed.
 */
async function describeRawEnd(iceServers: IceServer[], offer: string | null, gatheringTimeoutMs: number): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers });
  const end: BulkEnd = { pc, channel: undefined, receivedBytes: 0, expectBytes: 0, doneAt: 0 };
  (window as unknown as BulkWindow).bulk = end;
  const wire = (channel: RTCDataChannel): void => {
    channel.binaryType = 'arraybuffer';
    channel.onmessage = (event: MessageEvent<ArrayBuffer>) => {
      end.receivedBytes += event.data.byteLength;
      if (end.expectBytes > 0 && end.receivedBytes >= end.expectBytes && !end.doneAt) end.doneAt = performance.timeOrigin + performance.now();
    };
    end.channel = channel;
  };
  if (offer === null) {
    wire(pc.createDataChannel('bulk'));
    await pc.setLocalDescription(await pc.createOffer());
  } else {
    pc.ondatachannel = (event) => wire(event.channel);
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
  }
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, gatheringTimeoutMs);
  });
  return pc.localDescription!.sdp;
}

/**
 * Runs in the sending page: `bytes` in chunks with the usual backpressure for a raw channel.
 * Returns when sending started (epoch ms).
 */
function sendBulk(bytes: number, chunkBytes: number, pauseAboveBytes: number, resumeBelowBytes: number): number {
  const channel = (window as unknown as BulkWindow).bulk.channel!;
  const chunk = new Uint8Array(chunkBytes);
  const started = performance.timeOrigin + performance.now();
  let sent = 0;
  channel.bufferedAmountLowThreshold = resumeBelowBytes;
  const pump = (): void => {
    while (sent < bytes) {
      if (channel.bufferedAmount > pauseAboveBytes) {
        channel.onbufferedamountlow = () => {
          channel.onbufferedamountlow = null;
          pump();
        };
        return;
      }
      channel.send(chunk);
      sent += chunkBytes;
    }
  };
  pump();
  return started;
}

const base64urlRandom = (bytes: number): string => randomBytes(bytes).toString('base64url');

async function rawPage(browser: EngineBrowser, origin: string): Promise<{ page: Page; iceServers: IceServer[] }> {
  // The landing page: the Parley origin the app's pages have (its CSP, its secure-origin flag),
  // with nothing of the app running that a transfer would compete with.
  const { page } = await browser.openTab();
  await page.goto(`${origin}/`);
  // A room of its own per page (32 random bytes stand in for an id derived from a key) and no
  // signing key: the server checks the digest only for its format.
  const join: JoinMessage = { type: ClientMessageType.Join, v: PROTOCOL_VERSION, room: base64urlRandom(32), session: base64urlRandom(16), key: base64urlRandom(32) };
  const iceServers = await page.evaluate(iceServersOfWelcome, join, SIGNAL_PATH, ServerMessageType.Welcome, WELCOME_TIMEOUT_MS);
  return { page, iceServers };
}

async function selectedPath(page: Page): Promise<LinkPath | undefined> {
  const entries = await page.evaluate(async () => [...(await (window as unknown as BulkWindow).bulk.pc.getStats()).values()] as (Record<string, unknown> & { id: string; type: string })[]);
  return pathFromStats(entries);
}

/** Ada's page sends to Bob's over a fresh raw connection on the path: MiB/s of the timed transfer. */
async function bulkThroughput({ path, origin, ada, bob, route }: PathSetup, sizes: BulkSizes): Promise<{ mibPerSecond: number; pair: string }> {
  try {
    const sender = await rawPage(ada, origin);
    const receiver = await rawPage(bob, origin);
    const offer = await sender.page.evaluate(describeRawEnd, sender.iceServers, null, GATHERING_TIMEOUT_MS);
    const answer = await receiver.page.evaluate(describeRawEnd, receiver.iceServers, offer, GATHERING_TIMEOUT_MS);
    await sender.page.evaluate((sdp) => (window as unknown as BulkWindow).bulk.pc.setRemoteDescription({ type: 'answer', sdp }), answer);
    for (const { page } of [sender, receiver]) {
      await page.waitForFunction(() => (window as unknown as BulkWindow).bulk.channel?.readyState === 'open', { timeout: CHANNEL_OPEN_TIMEOUT_MS, polling: 50 });
    }
    // A peer-reflexive remote (checks before candidates) reads as through NAT until the signalled
    // candidate takes its place, which in a raw page is at once: read until it settles.
    let selected = await selectedPath(sender.page);
    for (const settleBy = Date.now() + ROUTE_SETTLE_MS; selected?.route !== route && Date.now() < settleBy; ) {
      await new Promise((wait) => setTimeout(wait, 100));
      selected = await selectedPath(sender.page);
    }
    if (selected?.route !== route) {
      throw new UnexpectedRouteError(`${NETWORK_PATH_LABEL[path]}: the raw channel connected ${selected ? `${selected.route} (${selected.localCandidate} ↔ ${selected.remoteCandidate})` : 'by no known pair'}, not ${route}`);
    }
    const transfer = async (bytes: number): Promise<number> => {
      await receiver.page.evaluate((expect) => {
        const end = (window as unknown as BulkWindow).bulk;
        end.expectBytes = end.receivedBytes + expect;
        end.doneAt = 0;
      }, bytes);
      const started = await sender.page.evaluate(sendBulk, bytes, sizes.chunkBytes, sizes.pauseAboveBytes, sizes.resumeBelowBytes);
      // Polled slowly: the receiver stamps the end itself, so polling only decides when we look.
      await receiver.page.waitForFunction(() => (window as unknown as BulkWindow).bulk.doneAt > 0, { timeout: TRANSFER_TIMEOUT_MS, polling: 200 }).catch(async (error: unknown) => {
        const state = ({ page }: { page: Page }): Promise<string> =>
          page.evaluate(() => {
            const { pc, channel, receivedBytes } = (window as unknown as BulkWindow).bulk;
            return `connection ${pc.connectionState}, ${receivedBytes} bytes received, ${channel?.bufferedAmount ?? 0} buffered`;
          });
        throw new Error(`${NETWORK_PATH_LABEL[path]}: ${bytes} bytes did not arrive within ${TRANSFER_TIMEOUT_MS} ms (sender: ${await state(sender)}; receiver: ${await state(receiver)})`, { cause: error });
      });
      const doneAt = await receiver.page.evaluate(() => (window as unknown as BulkWindow).bulk.doneAt);
      return bytes / MiB / ((doneAt - started) / 1000);
    };
    // The first transfer on a new channel is slower (SCTP's window opens): warm it up first.
    await transfer(sizes.warmUpBytes);
    const mibPerSecond = await transfer(sizes.bytes);
    return { mibPerSecond, pair: `${selected.localCandidate} ↔ ${selected.remoteCandidate}, ${selected.protocol}` };
  } finally {
    await ada.closeTabs();
    await bob.closeTabs();
  }
}
