// TURN end to end: real browsers relay through a real coturn, started from the docs/coturn.conf we
// ship to operators, with credentials from a real Parley server's welcome (coturn's REST shared
// secret scheme). The relay is what carries a chat when no direct path exists, and a credential is
// worth bandwidth on the operator's machine: so the refusals matter as much as the relay working.
// All on 127.0.0.1; coturn allows loopback peers here only (see test/support/coturn.ts).
import { randomBytes } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IceServer } from '../../protocol/signaling.js';
import { turnRestPassword } from '../../signaling/ice/ice-server-issuer.js';
import { startCoturn, type RunningCoturn } from '../support/coturn.js';
import { EngineBrowser, type Engine } from '../support/engines.js';
import { startServer, type RunningServer } from '../support/server.js';
import { TestClient } from '../support/ws-client.js';

const TURN_SECRET = randomBytes(32).toString('base64');
const TURN_TTL_SECONDS = 600;
const GATHER_TIMEOUT_MS = 10_000;
const CHANNEL_OPEN_TIMEOUT_MS = 10_000;
const MESSAGE_TIMEOUT_MS = 5_000;
const LOG_TIMEOUT_MS = 3_000;
/** How far a member pushes its credential's expiry: a day past what the server gave it. */
const STRETCH_SECONDS = 24 * 60 * 60;
const ENGINES = ['chromium', 'firefox'] as const;

const browsers = new Map<Engine, EngineBrowser>();
let coturn: RunningCoturn;
let server: RunningServer;

beforeAll(async () => {
  coturn = await startCoturn({ listenAddress: '127.0.0.1', secret: TURN_SECRET, allowLoopbackPeers: true });
  server = await startServer({ turnUrls: [coturn.url], turnSecret: TURN_SECRET, turnTtlSeconds: TURN_TTL_SECONDS });
  // Firefox asks no ICE server on a loopback address unless told it may (a real one never is).
  const firefoxPrefs = { 'media.peerconnection.ice.loopback': true };
  for (const engine of ENGINES) browsers.set(engine, await EngineBrowser.launch(engine, { firefoxPrefs }));
});

afterAll(async () => {
  for (const browser of browsers.values()) await browser.close();
  await server?.close();
  await coturn?.stop();
});

/** The TURN entry of a welcome: what a member of `room` is handed by the server. */
async function turnServerFromWelcome(room = newRoomId()): Promise<IceServer & { username: string; credential: string }> {
  const client = await TestClient.connect(server.signalUrl);
  try {
    const welcome = await client.join(room);
    expect(welcome.iceServersValidForMs).toBe(TURN_TTL_SECONDS * 1000);
    const turn = welcome.iceServers.find((entry) => entry.username !== undefined);
    if (turn?.username === undefined || turn.credential === undefined) throw new Error(`the welcome has no TURN credentials: ${JSON.stringify(welcome.iceServers)}`);
    expect(turn.urls).toEqual([coturn.url]);
    return { ...turn, username: turn.username, credential: turn.credential };
  } finally {
    client.close();
  }
}

function newRoomId(): string {
  return randomBytes(32).toString('base64url');
}

/** `<unix expiry>:<peer id>` taken apart. */
function parseTurnUsername(username: string): { expiresAt: number; peerId: string } {
  const match = /^(\d+):(.+)$/.exec(username);
  if (!match) throw new Error(`not a REST username: ${username}`);
  return { expiresAt: Number(match[1]), peerId: match[2]! };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface CandidateError {
  errorCode: number;
  errorText: string;
  url: string;
}

interface Gathered {
  candidates: string[];
  errors: CandidateError[];
  /** Whether gathering ended by itself within the bound. */
  completed: boolean;
  elapsedMs: number;
}

/** Gathers with `iceTransportPolicy: 'relay'` on a fresh page: only TURN can give a candidate. */
async function gatherRelayOnly(engine: Engine, iceServers: IceServer[]): Promise<Gathered> {
  const browser = browsers.get(engine)!;
  const { page } = await browser.openTab();
  try {
    return await page.evaluate(
      async (servers, waitMs) => {
        const started = performance.now();
        const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
        const result = { candidates: [] as string[], errors: [] as CandidateError[], completed: false, elapsedMs: 0 };
        pc.onicecandidate = (event) => void (event.candidate?.candidate && result.candidates.push(event.candidate.candidate));
        pc.onicecandidateerror = (event) => void result.errors.push({ errorCode: event.errorCode, errorText: event.errorText, url: event.url });
        pc.createDataChannel('gather');
        await pc.setLocalDescription();
        result.completed = await new Promise<boolean>((resolve) => {
          if (pc.iceGatheringState === 'complete') resolve(true);
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve(true);
          setTimeout(() => resolve(false), waitMs);
        });
        result.elapsedMs = Math.round(performance.now() - started);
        pc.close();
        return result;
      },
      iceServers,
      GATHER_TIMEOUT_MS,
    );
  } finally {
    await browser.closeTabs();
  }
}

/** The candidate type field of an `a=candidate` / `candidate:` line. */
function candidateType(candidate: string): string | undefined {
  return / typ (\S+)/.exec(candidate)?.[1];
}

/** The first line of coturn's log after `offset` that contains `text`; waits up to LOG_TIMEOUT_MS. */
async function waitForLogLine(offset: number, text: string): Promise<string> {
  const deadline = Date.now() + LOG_TIMEOUT_MS;
  for (;;) {
    const line = coturn.log().slice(offset).split('\n').find((candidate) => candidate.includes(text));
    if (line !== undefined) return line.trim();
    if (Date.now() > deadline) throw new Error(`coturn's log has no line with "${text}" after ${LOG_TIMEOUT_MS} ms; what it logged meanwhile:\n${coturn.log().slice(offset)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function describeGathered(gathered: Gathered): string {
  const candidates = gathered.candidates.map((candidate) => candidate.split(' ').slice(4, 8).join(' '));
  const errors = gathered.errors.map((error) => `${error.errorCode} ${JSON.stringify(error.errorText)} (${error.url})`);
  return `candidates [${candidates.join(' | ')}]; icecandidateerror [${errors.join(' | ')}]; gathering ${gathered.completed ? 'complete' : 'still going'} after ${gathered.elapsedMs} ms`;
}

// ---- two pages, one relay-only data channel ------------------------------------------------------

/** What a page of a relay-only pair keeps between page.evaluate calls. */
interface RelayPair {
  pc: RTCPeerConnection;
  channel?: RTCDataChannel;
  received: string[];
}
type RelayWindow = Window & { relayPair?: RelayPair };

interface CandidateSummary {
  candidateType: string;
  address: string;
  port: number;
  protocol: string;
  relayProtocol?: string;
  url?: string;
}

interface SelectedPair {
  state: string;
  local: CandidateSummary;
  remote: CandidateSummary;
}

/**
 * One side of a relay-only connection: with no `offer`, the offering side (it makes the channel);
 * given one, the answering side. The description returned carries every candidate (gathering is
 * waited for), so no trickling is needed.
 */
async function relayOnlyDescription(page: Page, iceServers: IceServer[], offer?: string): Promise<string> {
  return page.evaluate(
    async (servers, offerSdp, waitMs) => {
      const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
      const pair: RelayPair = { pc, received: [] };
      const listen = (channel: RTCDataChannel): void => {
        pair.channel = channel;
        channel.onmessage = (message) => void pair.received.push(String(message.data));
      };
      if (offerSdp === undefined) listen(pc.createDataChannel('chat'));
      else pc.ondatachannel = (event) => listen(event.channel);
      (window as RelayWindow).relayPair = pair;
      if (offerSdp !== undefined) await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      await pc.setLocalDescription();
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
        setTimeout(resolve, waitMs);
      });
      return pc.localDescription!.sdp;
    },
    iceServers,
    offer,
    GATHER_TIMEOUT_MS,
  );
}

async function acceptAnswer(page: Page, answer: string): Promise<void> {
  await page.evaluate(async (answerSdp) => (window as RelayWindow).relayPair!.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp }), answer);
}

/** Resolves once the page's channel is open; otherwise throws with the page's ICE states. */
async function waitForOpenChannel(page: Page, engine: Engine): Promise<void> {
  const outcome = await page.evaluate(async (waitMs) => {
    const pair = (window as RelayWindow).relayPair!;
    const deadline = performance.now() + waitMs;
    while (pair.channel?.readyState !== 'open') {
      if (performance.now() > deadline) return `channel ${pair.channel?.readyState ?? 'not announced'}, ICE ${pair.pc.iceConnectionState}, connection ${pair.pc.connectionState}`;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return 'open';
  }, CHANNEL_OPEN_TIMEOUT_MS);
  if (outcome !== 'open') throw new Error(`${engine}: no open data channel within ${CHANNEL_OPEN_TIMEOUT_MS} ms: ${outcome}`);
}

async function sendOnChannel(page: Page, text: string): Promise<void> {
  await page.evaluate((message) => (window as RelayWindow).relayPair!.channel!.send(message), text);
}

async function waitForReceived(page: Page, text: string): Promise<string[]> {
  return page.evaluate(
    async (expected, waitMs) => {
      const pair = (window as RelayWindow).relayPair!;
      const deadline = performance.now() + waitMs;
      while (!pair.received.includes(expected) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return pair.received;
    },
    text,
    MESSAGE_TIMEOUT_MS,
  );
}

/**
 * The candidate pair ICE selected, from getStats: the transport's selectedCandidatePairId where the
 * engine reports it (Chromium), else the pair marked `selected` (Firefox).
 */
async function selectedPair(page: Page): Promise<SelectedPair | undefined> {
  return page.evaluate(async () => {
    const stats = await (window as RelayWindow).relayPair!.pc.getStats();
    let pair: RTCIceCandidatePairStats | undefined;
    stats.forEach((report) => {
      if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    });
    if (!pair) stats.forEach((report) => void (report.type === 'candidate-pair' && report.selected && (pair = report)));
    if (!pair) return undefined;
    const summary = (id: string): CandidateSummary => {
      const candidate = stats.get(id);
      return { candidateType: candidate.candidateType, address: candidate.address, port: candidate.port, protocol: candidate.protocol, relayProtocol: candidate.relayProtocol, url: candidate.url };
    };
    return { state: pair.state, local: summary(pair.localCandidateId), remote: summary(pair.remoteCandidateId) };
  });
}

function describeCandidate(candidate: CandidateSummary): string {
  const via = candidate.relayProtocol ? ` (${candidate.relayProtocol} to ${candidate.url ?? 'the TURN server'})` : '';
  return `${candidate.candidateType} ${candidate.address}:${candidate.port}/${candidate.protocol}${via}`;
}

async function closeRelayPair(page: Page): Promise<void> {
  await page.evaluate(() => (window as RelayWindow).relayPair?.pc.close());
}

// ---- the tests -------------------------------------------------------------------------------

describe("credentials from a Parley server's welcome, checked by coturn running docs/coturn.conf", () => {
  it.each(ENGINES)('%s: are accepted: relay-only gathering yields a relay candidate on coturn', async (engine) => {
    const turn = await turnServerFromWelcome();
    const gathered = await gatherRelayOnly(engine, [turn]);
    console.log(`[turn] ${engine} with the welcome's credentials: ${describeGathered(gathered)}`);
    const relays = gathered.candidates.filter((candidate) => candidateType(candidate) === 'relay');
    expect(relays.length).toBeGreaterThan(0);
    // The relayed address is coturn's relay-ip.
    expect(relays.every((candidate) => candidate.split(' ')[4] === '127.0.0.1')).toBe(true);
    expect(gathered.errors).toEqual([]);
  });

  const PAIRS: [Engine, Engine][] = [
    ['chromium', 'chromium'],
    ['chromium', 'firefox'],
    ['firefox', 'chromium'],
  ];
  it.each(PAIRS)('%s offers, %s answers: a relay-only data channel through coturn carries a message', async (offererEngine, answererEngine) => {
    // Two members of one room, each with its own credentials, as the server hands them out.
    const room = newRoomId();
    const [offererTurn, answererTurn] = [await turnServerFromWelcome(room), await turnServerFromWelcome(room)];
    const offerer = (await browsers.get(offererEngine)!.openTab()).page;
    const answerer = (await browsers.get(answererEngine)!.openTab()).page;
    try {
      const started = performance.now();
      const offer = await relayOnlyDescription(offerer, [offererTurn]);
      const answer = await relayOnlyDescription(answerer, [answererTurn], offer);
      await acceptAnswer(offerer, answer);
      await waitForOpenChannel(offerer, offererEngine);
      await waitForOpenChannel(answerer, answererEngine);
      const openedMs = Math.round(performance.now() - started);

      const text = `through coturn, ${offererEngine} to ${answererEngine}`;
      await sendOnChannel(offerer, text);
      expect(await waitForReceived(answerer, text)).toEqual([text]);
      await sendOnChannel(answerer, 'and back');
      expect(await waitForReceived(offerer, 'and back')).toEqual(['and back']);

      const [offererPair, answererPair] = [await selectedPair(offerer), await selectedPair(answerer)];
      for (const [engine, pair] of [
        [offererEngine, offererPair],
        [answererEngine, answererPair],
      ] as const) {
        console.log(`[turn] ${engine} selected pair: ${pair ? `${describeCandidate(pair.local)} ⇄ ${describeCandidate(pair.remote)} (${pair.state})` : 'none reported'}`);
      }
      console.log(`[turn] ${offererEngine} ⇄ ${answererEngine}: offer → both channels open in ${openedMs} ms (non-trickle, gathering included)`);
      // Relay-only on both sides: each end sends from its own allocation to the other's.
      for (const pair of [offererPair, answererPair]) {
        expect(pair?.local.candidateType).toBe('relay');
        expect(pair?.remote.candidateType).toBe('relay');
      }
    } finally {
      await closeRelayPair(offerer).catch(() => undefined);
      await closeRelayPair(answerer).catch(() => undefined);
      for (const browser of browsers.values()) await browser.closeTabs();
    }
  });
});

describe('credentials coturn must refuse', () => {
  /**
   * Gathers relay-only with `turn` and checks that coturn gave nothing, that the browser heard 401,
   * and that coturn's log names the user it refused. coturn's REST check recomputes the HMAC of the
   * username only for an unexpired one, so expired, stretched and forged credentials all read
   * "Cannot find credentials of user <…>": the log does not tell the three apart.
   */
  async function expectRefused(engine: Engine, turn: IceServer & { username: string }, what: string): Promise<void> {
    const logBefore = coturn.log().length;
    const gathered = await gatherRelayOnly(engine, [turn]);
    console.log(`[turn] ${engine}, ${what}: ${describeGathered(gathered)}`);
    expect(gathered.candidates.filter((candidate) => candidateType(candidate) === 'relay')).toEqual([]);
    // Both engines fire icecandidateerror with 401 (Firefox with an empty errorText).
    expect(gathered.errors.map((error) => error.errorCode)).toContain(401);
    const refusal = await waitForLogLine(logBefore, `Cannot find credentials of user <${turn.username}>`);
    console.log(`[turn] coturn's log: ${refusal}`);
  }

  it.each(ENGINES)("%s: a member stretches its credential's expiry and keeps the password", async (engine) => {
    // The attacker is a member: it got a credential in its welcome and wants a relay for longer
    // than the server allowed (or to hand out a longer-lived one). It can rewrite the expiry in the
    // username, but the password is the HMAC of the whole username, which it cannot recompute.
    const issued = await turnServerFromWelcome();
    const { expiresAt, peerId } = parseTurnUsername(issued.username);
    await expectRefused(engine, { ...issued, username: `${expiresAt + STRETCH_SECONDS}:${peerId}` }, 'expiry stretched by a day, password kept');
  });

  it.each(ENGINES)('%s: an expired credential, correctly signed', async (engine) => {
    // The attacker kept a credential from an earlier visit (a copied page, a log) and uses it after
    // its time: the signature is right, the expiry is past, and coturn compares it with its clock.
    const { peerId } = parseTurnUsername((await turnServerFromWelcome()).username);
    const username = `${nowSeconds() - 60}:${peerId}`;
    await expectRefused(engine, { urls: coturn.url, username, credential: turnRestPassword(TURN_SECRET, username) }, 'expired a minute ago, signed with the right secret');
  });

  it.each(ENGINES)('%s: a credential signed with another secret', async (engine) => {
    // A forger without the secret (or a Parley server configured with a secret coturn does not
    // share) signs a well-formed, unexpired username with a key of its own.
    const username = `${nowSeconds() + TURN_TTL_SECONDS}:${parseTurnUsername((await turnServerFromWelcome()).username).peerId}`;
    await expectRefused(engine, { urls: coturn.url, username, credential: turnRestPassword('not the shared secret', username) }, 'signed with another secret');
  });
});
