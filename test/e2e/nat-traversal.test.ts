// Parley across real networks, simulated: the Parley server (and coturn) in an "internet"
// namespace, each browser in a home network of its own behind its own NAT router (support/
// network-lab.ts). Four sites: two behind endpoint-independent NATs (an ordinary home router), two
// behind symmetric NATs (a fresh random port per destination, as strict carrier and office NATs do,
// so that only a relay gets through). What each test shows is what a person sees: the chat
// connects or not, and the participant's details say how, or why not.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBrowser, type ChatTab, type ConnectionDetails } from '../support/engines.js';
import { NetworkLab, type LabSite } from '../support/network-lab.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { startCoturn, type RunningCoturn } from '../support/coturn.js';
import { turnRestPassword } from '../../signaling/ice/ice-server-issuer.js';

const TURN_SECRET = 'nat-test-shared-secret-0123456789';
const ARTIFACTS = 'test-results/e2e/nat';
/** The name a peer shows under until it has proven itself and told us its name. */
const UNNAMED = 'Someone joining';
/** A first link, or one rebuilt after the connect timeout (15 s). */
const CONNECTED_WITHIN_MS = 40_000;
/** A failure is diagnosed when the connect timeout (15 s) gives up on a link. */
const FAILURE_SHOWN_WITHIN_MS = 40_000;

const unavailable = await NetworkLab.unavailableReason();
if (unavailable) console.warn(`[nat] SKIPPED: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('two people on different networks, each behind a NAT router', () => {
  const lab = new NetworkLab({ sites: ['endpoint-independent', 'endpoint-independent', 'symmetric', 'symmetric'] });
  const servers: ServerProcess[] = [];
  const browsers = new Map<LabSite, EngineBrowser>();
  /** A Firefox at the last (symmetric) site, for a room of two engines. */
  let firefox: EngineBrowser;
  let coturn: RunningCoturn;
  /** One server per configuration, all on the lab's public address. */
  let origins: Record<'noIceServers' | 'builtInStun' | 'stunAndTurn' | 'forgedTurn' | 'expiredTurn', string>;

  async function parley(env: NodeJS.ProcessEnv): Promise<string> {
    const server = await startServerProcess([], env, {
      host: lab.serverAddress,
      spawnWith: (command, args, options) => lab.spawnIn(lab.internetNamespace, command, args, options),
    });
    servers.push(server);
    return `http://${lab.serverAddress}:${server.port}`;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await lab.create();
    coturn = await startCoturn({
      listenAddress: lab.serverAddress,
      secret: TURN_SECRET,
      port: 3479,
      spawn: (command, args) => lab.spawnIn(lab.internetNamespace, command, [...args]),
    });
    // An operator's static TURN password whose time ran out yesterday (made with the right secret).
    const staleUsername = `${Math.floor(Date.now() / 1000) - 86_400}:operator`;
    const staleTurn = JSON.stringify([{ urls: coturn.url, username: staleUsername, credential: turnRestPassword(TURN_SECRET, staleUsername) }]);
    origins = {
      noIceServers: await parley({ STUN_PORT: '0' }),
      builtInStun: await parley({ STUN_PORT: '3478' }),
      stunAndTurn: await parley({ STUN_PORT: '3480', TURN_URLS: coturn.url, TURN_SECRET }),
      // Credentials made with a secret coturn does not have: what a forger without the secret makes.
      forgedTurn: await parley({ STUN_PORT: '0', TURN_URLS: coturn.url, TURN_SECRET: 'not-the-secret-coturn-was-given' }),
      expiredTurn: await parley({ STUN_PORT: '0', ICE_SERVERS: staleTurn }),
    };
    // Pages from the lab's address are not "secure" to the browser (no TLS, not localhost), and
    // Parley needs WebCrypto: the browser is told to treat these origins as a deployment's https.
    const secureOrigins = `--unsafely-treat-insecure-origin-as-secure=${Object.values(origins).join(',')}`;
    for (const site of lab.sites) {
      const executablePath = await lab.browserExecutable(site.clientNamespace, 'chromium');
      browsers.set(site, await EngineBrowser.launch('chromium', { executablePath, chromiumArgs: [secureOrigins] }));
    }
    const strict2 = lab.sites[3]!;
    firefox = await EngineBrowser.launch('firefox', {
      executablePath: await lab.browserExecutable(strict2.clientNamespace, 'firefox'),
      // Firefox's twin of the secure-origin switch, by host name.
      firefoxPrefs: { 'dom.securecontext.allowlist': lab.serverAddress },
    });
  }, 120_000);

  afterAll(async () => {
    for (const browser of [...browsers.values(), firefox]) await browser?.close().catch(() => undefined);
    for (const server of servers) server.child.kill('SIGKILL');
    await coturn?.stop();
    await lab.destroy();
  }, 60_000);

  /** Ada (at `adaSite`) makes a room on `origin`; Bob (at `bobSite`) opens its link. */
  async function meet(origin: string, adaSite: LabSite, bobSite: LabSite, bobBrowser = browsers.get(bobSite)!): Promise<{ ada: ChatTab; bob: ChatTab }> {
    const ada = await browsers.get(adaSite)!.openTab();
    const link = await ada.createRoom(origin);
    await ada.setName('Ada');
    await ada.waitForStatus(/Connected/);
    const bob = await bobBrowser.openTab();
    await bob.goto(link);
    await bob.setName('Bob');
    return { ada, bob };
  }

  async function closeTabs(): Promise<void> {
    for (const browser of [...browsers.values(), firefox]) await browser.closeTabs();
  }

  function report(what: string, details: ConnectionDetails): void {
    console.log(`[nat] ${what}: "${details.text}"${details.candidates ? ` (selected pair ${details.candidates})` : ''}${details.failure ? ` [${details.failure}]` : ''}`);
  }

  async function expectDirectChat(ada: ChatTab, bob: ChatTab, route: 'through-nat' | 'relayed', what: string): Promise<void> {
    const started = performance.now();
    // Room for one rebuilt link (the connect timeout, then a heal): a busy machine may need it.
    await bob.waitForConnected(['Ada'], CONNECTED_WITHIN_MS);
    await ada.waitForConnected(['Bob'], CONNECTED_WITHIN_MS);
    console.log(`[nat] ${what}: both connected ${Math.round(performance.now() - started)} ms after Bob opened the link`);
    await bob.send(`hello across ${what}`);
    await ada.waitForLastMessage(`hello across ${what}`);
    for (const [person, other, name] of [[ada, 'Bob', 'Ada'], [bob, 'Ada', 'Bob']] as const) {
      const details = await person.connectionOf(other);
      report(`${what}, ${name} about ${other}`, details);
      expect(details.route).toBe(route);
    }
  }

  async function expectFailure(ada: ChatTab, bob: ChatTab, failure: string, words: RegExp, what: string): Promise<void> {
    for (const [person, name] of [[ada, 'Ada'], [bob, 'Bob']] as const) {
      const details = await person.waitForConnection(UNNAMED, (shown) => shown.failure === failure, `the details to say why (${failure})`, FAILURE_SHOWN_WITHIN_MS);
      report(`${what}, ${name} about the other`, details);
      expect(details.text).toMatch(words);
    }
    // Nothing got through: neither sees the other's name (it travels only over the direct link).
    expect((await ada.participants()).map((peer) => peer.name)).toEqual([UNNAMED]);
  }

  it('with no ICE servers at all, the link fails and both are told only the same network can connect', async () => {
    const [home1, home2] = lab.sites;
    const { ada, bob } = await meet(origins.noIceServers, home1!, home2!);
    await expectFailure(ada, bob, 'no-ice-servers', /no STUN or TURN server, so only people on the same network can connect/, 'no ICE servers');
    await closeTabs();
  }, 90_000);

  it("with Parley's built-in STUN, two ordinary NATs connect directly through NAT", async () => {
    const [home1, home2] = lab.sites;
    const { ada, bob } = await meet(origins.builtInStun, home1!, home2!);
    await expectDirectChat(ada, bob, 'through-nat', 'two endpoint-independent NATs with built-in STUN');
    await closeTabs();
  }, 90_000);

  it('behind symmetric NATs, STUN alone finds no path, and both are told a TURN server is needed', async () => {
    const [, , strict1, strict2] = lab.sites;
    const { ada, bob } = await meet(origins.builtInStun, strict1!, strict2!);
    await expectFailure(ada, bob, 'no-turn', /no TURN server is configured; people on strict networks need one/, 'two symmetric NATs with STUN only');
    await closeTabs();
  }, 90_000);

  it('behind symmetric NATs, the link goes through coturn with short-lived credentials, and says relayed', async () => {
    const [, , strict1, strict2] = lab.sites;
    const { ada, bob } = await meet(origins.stunAndTurn, strict1!, strict2!);
    await expectDirectChat(ada, bob, 'relayed', 'two symmetric NATs with STUN and TURN');
    // What a person sees with Bob's details open: desktop, phone, and dark.
    await ada.screenshot(`${ARTIFACTS}/relayed-details-desktop.png`);
    await ada.setViewport(390, 760);
    await ada.screenshot(`${ARTIFACTS}/relayed-details-phone.png`);
    await ada.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await ada.screenshot(`${ARTIFACTS}/relayed-details-phone-dark.png`);
    await closeTabs();
  }, 90_000);

  it('a Chromium and a Firefox, each behind a symmetric NAT, go through coturn too, and both say relayed', async () => {
    const [, , strict1, strict2] = lab.sites;
    const { ada, bob } = await meet(origins.stunAndTurn, strict1!, strict2!, firefox);
    await expectDirectChat(ada, bob, 'relayed', 'Chromium and Firefox behind symmetric NATs with STUN and TURN');
    await closeTabs();
  }, 90_000);

  it('TURN credentials made without the secret are refused by coturn, and both are told so', async () => {
    const [, , strict1, strict2] = lab.sites;
    const { ada, bob } = await meet(origins.forgedTurn, strict1!, strict2!);
    await expectFailure(ada, bob, 'turn-refused', /the TURN server refused the credentials/, 'forged TURN credentials');
    await bob.screenshot(`${ARTIFACTS}/turn-refused-details-desktop.png`);
    await closeTabs();
  }, 90_000);

  it('expired TURN credentials are refused by coturn, and both are told so', async () => {
    const [, , strict1, strict2] = lab.sites;
    const { ada, bob } = await meet(origins.expiredTurn, strict1!, strict2!);
    await expectFailure(ada, bob, 'turn-refused', /the TURN server refused the credentials/, 'expired TURN credentials');
    await closeTabs();
  }, 90_000);
});
