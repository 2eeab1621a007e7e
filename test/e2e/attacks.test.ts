// End to end, with the signaling server as the attacker: real Chromium pages load the app through a
// tampering proxy (test/support/tampering-proxy.ts) that sits where a malicious operator would, in
// front of a real Parley server. Each test says what the attacker tries; each checks that no chat
// text, history, name or room key ever reached it, that honest members still reach each other when
// the attack allows it, and what the people in the room are shown.
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  BrowserSession,
  chatStatus,
  createRoom,
  messageLog,
  observed,
  participant,
  sendWithEnter,
  setName,
  type ObservedPeerConnections,
} from '../support/chat-page.js';
import { flipOneByte, sealedFields, startTamperingProxy, type SeenFrame, type TamperingProxy } from '../support/tampering-proxy.js';
import { TestClient } from '../support/ws-client.js';
import type { SecurityEvent } from '../../web/element/parley-chat.js';
import type { ServerMessage } from '../../protocol/signaling.js';

const ARTIFACTS = 'test-results/e2e';
/** Names with a space: base64url (all a sealed payload is made of) cannot contain one by chance. */
const ADA = 'Ada Quill';
const BOB = 'Bob Stone';
const CY = 'Cy Vance';
const NAMES = [ADA, BOB, CY];
const TAMPERED = 'Connection data was tampered with';
const UNNAMED = 'Someone joining';
/** Long enough for a retried offer after a lost one (15 s connect timeout, then a heal attempt). */
const RECOVERY_MS = 30_000;
const STEP_MS = 10_000;

let browser: BrowserSession;
let proxy: TamperingProxy | undefined;
/** Every chat text typed in the current test: none may ever reach the attacker. */
let said: string[] = [];
const timings: Record<string, number | string> = {};

beforeAll(async () => {
  browser = await BrowserSession.launch();
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterEach(() =>
  browser.endTest(async () => {
    const problems = [...(proxy?.problems ?? [])];
    await proxy?.close();
    proxy = undefined;
    said = [];
    // The proxy must have forwarded every page and asset: otherwise a failure is the harness's.
    expect(problems).toEqual([]);
  }),
);

afterAll(async () => {
  await browser?.close();
  writeFileSync(`${ARTIFACTS}/attacks-timings.json`, JSON.stringify(timings, null, 2));
});

// ---- the people's side -----------------------------------------------------------------------

/** Runs in every page before its scripts: keeps what <parley-chat> reports on the window. */
function recordChatEvents(): void {
  const record = { security: [] as unknown[], joined: [] as string[] };
  (window as unknown as { parleyTestEvents: typeof record }).parleyTestEvents = record;
  // The element's events bubble and are composed: the document hears them.
  document.addEventListener('parley-security', (event) => record.security.push(event.detail.event));
  document.addEventListener('parley-peer-joined', (event) => record.joined.push(event.detail.peer.id));
}

async function openPage(viewport?: { width: number; height: number }): Promise<Page> {
  const page = await browser.openPage(viewport);
  await page.context().addInitScript(recordChatEvents);
  return page;
}

async function securityEvents(page: Page): Promise<SecurityEvent[]> {
  return page.evaluate(() => (window as unknown as { parleyTestEvents: { security: SecurityEvent[] } }).parleyTestEvents.security);
}

/** Ids of the peers the page announced as joined (proven and named). */
async function joinedPeers(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { parleyTestEvents: { joined: string[] } }).parleyTestEvents.joined);
}

interface PeerView {
  id: string;
  name: string;
  state: string;
  proof: string;
  problem: string | null;
}

/** The element's own view of the other members (its public `participants`). */
async function peersOf(page: Page): Promise<PeerView[]> {
  return page.evaluate(() =>
    document.querySelector('parley-chat')!.participants.map(({ id, name, state, proof, problem }) => ({ id, name, state, proof, problem: problem ?? null })),
  );
}

/** Data channels of the page that are open right now (the app's and any other). */
async function openChannels(page: Page): Promise<number> {
  return page.evaluate(
    () => (window as unknown as { parleyTestObserved: ObservedPeerConnections }).parleyTestObserved.channels.filter((channel) => channel.readyState === 'open').length,
  );
}

type SignalRefused = Extract<SecurityEvent, { kind: 'signal-refused' }>;
const refused = (peerId: string, failure: SignalRefused['failure']): SignalRefused => ({ kind: 'signal-refused', peerId, failure });

/** A room made by Ada through the proxy; returns her page, her peer id and the link. */
async function adaMakesRoom(): Promise<{ ada: Page; adaId: string; link: string }> {
  const ada = await openPage();
  const link = await createRoom(ada, proxy!.origin);
  await setName(ada, ADA);
  await chatStatus(ada, 'Connected').waitFor({ timeout: STEP_MS });
  return { ada, adaId: await proxy!.welcomed(1), link };
}

/** Someone opens the link and names themselves; `nth` is the order their welcome comes in. */
async function joins(link: string, name: string, nth: number, viewport?: { width: number; height: number }): Promise<{ page: Page; id: string }> {
  const page = await openPage(viewport);
  await page.goto(link);
  await setName(page, name);
  return { page, id: await proxy!.welcomed(nth) };
}

async function connected(page: Page, name: string, timeout = STEP_MS): Promise<void> {
  try {
    await participant(page, name).filter({ hasText: 'Connected' }).waitFor({ timeout });
  } catch (error) {
    // Say what the page saw instead: its view of each peer, and what it refused.
    const peers = await peersOf(page).catch(() => []);
    const events = await securityEvents(page).catch(() => []);
    throw new Error(`${name} not shown as Connected: peers ${JSON.stringify(peers)}, security events ${JSON.stringify(events)}`, { cause: error });
  }
}

/** `from` writes to the room and `to` sees it. */
async function says(from: Page, to: Page, text: string): Promise<void> {
  said.push(text);
  await sendWithEnter(from, text);
  await messageLog(to).getByText(text, { exact: true }).waitFor({ timeout: STEP_MS });
}

// ---- the attacker's side ---------------------------------------------------------------------

/** A frame's text without the ciphertext of a sealed payload (random base64url could spell anything). */
function withoutCiphertext(text: string): string {
  return text.replace(/"c":"[A-Za-z0-9_-]*"/g, '"c":"…"');
}

/** What WebRTC's plain payloads look like: an SDP, a candidate line, a certificate fingerprint. */
const PLAIN_WEBRTC = /"sdp"|a=fingerprint|fingerprint|"candidate"\s*:|candidate:|ice-ufrag|ice-pwd/i;

/**
 * Everything the attacker saw (the proxy's record, and frames a client of its own received) held
 * no chat text, no name, not the room key, and no readable WebRTC payload: every signal payload
 * that a member sent is sealed. Frames the attacker made up itself are not the members' and are
 * skipped for the layout check.
 */
function expectAttackerLearnedNothing(seen: readonly { text: string; fate?: SeenFrame['fate'] }[], roomKey: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const { text, fate } of seen) {
    for (const secret of [...said, ...NAMES, roomKey]) expect(text, 'a frame the attacker saw').not.toContain(secret);
    if (fate === 'injected') continue;
    expect(withoutCiphertext(text)).not.toMatch(PLAIN_WEBRTC);
    const message = JSON.parse(text) as { type?: string; data?: unknown };
    if (message.type === 'signal') expect(sealedFields(message.data), `signal payload ${withoutCiphertext(text)}`).toBeDefined();
  }
}

/** What an attacker without the room key can make that looks sealed: AES-GCM under its own key. */
function sealWithAttackerKey(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', randomBytes(32), iv);
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([iv, sealed]).toString('base64url');
}

function roomKeyOf(link: string): string {
  return new URL(link).hash.slice(1);
}

// ---- the attacks -----------------------------------------------------------------------------

describe('a hostile signaling server', () => {
  it('1. fingerprint swap: replacing every offer and answer gets nobody connected to the attacker', async () => {
    // The attacker tries what worked against the unsealed protocol: it puts its own WebRTC
    // endpoint between Ada and Bob by replacing their offers and answers with its own SDP (its
    // certificate fingerprint and its candidates), hoping each side connects to it instead. It
    // drops the members' candidates: it wants them on its own address, which rides in its SDP.
    proxy = await startTamperingProxy();
    const attacker = await openPage();
    const attackerSdp = await attacker.evaluate(async () => {
      const connection = new RTCPeerConnection({ iceServers: [] });
      const channel = connection.createDataChannel('parley');
      (window as unknown as { attacker: { connection: RTCPeerConnection; channel: RTCDataChannel } }).attacker = { connection, channel };
      await connection.setLocalDescription(await connection.createOffer());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        const done = (): void => {
          if (connection.iceGatheringState !== 'complete') return;
          clearTimeout(timer);
          resolve();
        };
        connection.addEventListener('icegatheringstatechange', done);
        done();
      });
      return connection.localDescription!.sdp;
    });
    expect(attackerSdp).toMatch(/a=fingerprint:sha-256 [0-9A-F:]+/);

    const { ada, adaId, link } = await adaMakesRoom();
    /** SDPs the attacker could read in what the members sent: on the old protocol, their answers. */
    const readable: string[] = [];
    let swapped = 0;
    proxy.onUp = ({ message, client }) => {
      if (message?.type !== 'signal') return undefined;
      if (typeof message.data === 'object' && message.data !== null && 'sdp' in message.data) readable.push(JSON.stringify(message.data));
      const sealed = sealedFields(message.data);
      if (!sealed) return undefined;
      if (sealed.k === 'candidate') return 'drop';
      if (sealed.k !== 'offer' && sealed.k !== 'answer') return undefined;
      swapped += 1;
      // To Bob: a plain payload, as the old protocol carried it. To Ada: the attacker's SDP sealed
      // under a key of its own, in the sealed layout, with the counter it replaces.
      const data = client.peerId === adaId ? { type: sealed.k, sdp: attackerSdp } : { k: sealed.k, n: sealed.n, c: sealWithAttackerKey(JSON.stringify({ type: sealed.k, sdp: attackerSdp })) };
      return { frames: [{ type: 'signal', to: message.to, data }] };
    };

    // Bob at a phone's width: his screen is the second screenshot.
    const { page: bob, id: bobId } = await joins(link, BOB, 2, { width: 390, height: 760 });
    // Ada offers at once and gets the plain payload refused; Bob offers after the fallback delay
    // and gets the attacker's own seal refused. Both see the warning on the other's row.
    await participant(bob, TAMPERED).waitFor({ timeout: STEP_MS });
    await participant(ada, TAMPERED).waitFor({ timeout: STEP_MS });
    await expect.poll(() => securityEvents(bob), { timeout: STEP_MS }).toContainEqual(refused(adaId, 'malformed'));
    await expect.poll(() => securityEvents(ada), { timeout: STEP_MS }).toContainEqual(refused(bobId, 'forged'));
    expect(swapped).toBeGreaterThanOrEqual(2);

    // Ada writes anyway; it waits for Bob in her outbox, and goes nowhere near the attacker.
    said.push('Can anyone read this?');
    await sendWithEnter(ada, 'Can anyone read this?');

    // Nothing opened anywhere: not the attacker's connection, not a channel in either page, and
    // no name crossed (each sees the other only as someone joining).
    const attackerState = await attacker.evaluate(() => {
      const { connection, channel } = (window as unknown as { attacker: { connection: RTCPeerConnection; channel: RTCDataChannel } }).attacker;
      return { connection: connection.connectionState, channel: channel.readyState };
    });
    expect(attackerState).toEqual({ connection: 'new', channel: 'connecting' });
    expect(readable).toEqual([]);
    for (const page of [ada, bob]) {
      expect(await openChannels(page)).toBe(0);
      const [peer] = await peersOf(page);
      expect(peer).toMatchObject({ name: '', problem: 'tampered-signaling' });
      expect(peer!.state).not.toBe('connected');
    }
    expect(await participant(ada, UNNAMED).count()).toBe(1);
    expect(await participant(bob, UNNAMED).count()).toBe(1);
    // The attacker's own payloads come back to it from the server; everything else is the members'.
    const fingerprint = /a=fingerprint:sha-256 ([0-9A-F:]+)/.exec(attackerSdp)![1]!;
    expectAttackerLearnedNothing(
      proxy.seen.filter((frame) => !frame.text.includes(fingerprint)),
      roomKeyOf(link),
    );

    // What Ada and Bob see, with the details of the flagged person open.
    await participant(ada, TAMPERED).getByRole('button').click();
    await ada.getByRole('region', { name: `About ${UNNAMED}` }).getByText('changed, replayed or redirected').waitFor({ timeout: STEP_MS });
    await ada.screenshot({ path: `${ARTIFACTS}/attack-tampered-desktop.png` });
    await participant(bob, TAMPERED).getByRole('button').click();
    await bob.getByRole('region', { name: `About ${UNNAMED}` }).getByText('changed, replayed or redirected').waitFor({ timeout: STEP_MS });
    await bob.screenshot({ path: `${ARTIFACTS}/attack-tampered-phone.png` });
  });

  it('2. one flipped byte in the first offer: refused as forged, and the offer is retried until both chat', async () => {
    // The attacker changes one bit of the first sealed offer, hoping a changed SDP is taken.
    proxy = await startTamperingProxy();
    const { ada, adaId, link } = await adaMakesRoom();
    let flipped: { from: string; to: string } | undefined;
    proxy.onUp = ({ message, client }) => {
      const sealed = message?.type === 'signal' ? sealedFields(message.data) : undefined;
      if (flipped || !sealed || sealed.k !== 'offer') return undefined;
      flipped = { from: client.peerId!, to: String(message!.to) };
      return { frames: [{ ...message, data: { ...sealed, c: flipOneByte(sealed.c) } }] };
    };
    const started = performance.now();
    const { page: bob, id: bobId } = await joins(link, BOB, 2);
    await expect.poll(() => flipped, { timeout: STEP_MS }).toBeDefined();
    const victim = flipped!.to === bobId ? bob : ada;
    await expect.poll(() => securityEvents(victim), { timeout: STEP_MS }).toContainEqual(refused(flipped!.from, 'forged'));

    await connected(ada, BOB, RECOVERY_MS);
    await connected(bob, ADA, RECOVERY_MS);
    timings.flippedOfferRecoveryMs = Math.round(performance.now() - started);
    // Which side keeps its own offer in a collision decides how the lost offer is made up for.
    timings.flippedOfferSenderHasSmallerId = String(flipped!.from < (flipped!.from === adaId ? bobId : adaId));
    console.log(`[timing] connected ${timings.flippedOfferRecoveryMs} ms after the link opened, despite the flipped offer (sender has the smaller id: ${timings.flippedOfferSenderHasSmallerId})`);
    await says(ada, bob, 'Despite the flipped byte, hello Bob.');
    await says(bob, ada, 'Hello Ada, it got through.');
    expectAttackerLearnedNothing(proxy.seen, roomKeyOf(link));
  });

  it('3. a replayed offer after the two are connected: refused, the working link stays, chat goes on', async () => {
    // The attacker keeps the first offer it relayed and, once Ada and Bob are connected, delivers
    // it again, hoping the recipient tears down its link and answers the old offer.
    proxy = await startTamperingProxy();
    const { ada, adaId, link } = await adaMakesRoom();
    let firstOffer: { to: string; from: string; text: string } | undefined;
    proxy.onDown = ({ message, client, text }) => {
      if (!firstOffer && message?.type === 'signal' && sealedFields(message.data)?.k === 'offer') firstOffer = { to: client.peerId!, from: String(message.from), text };
      return undefined;
    };
    const { page: bob, id: bobId } = await joins(link, BOB, 2);
    await connected(ada, BOB);
    await connected(bob, ADA);
    await says(ada, bob, 'Before the replay.');
    expect(firstOffer).toBeDefined();
    const recipient = firstOffer!.to === bobId ? bob : ada;
    expect(firstOffer!.from).toBe(firstOffer!.to === bobId ? adaId : bobId);
    const connectionsBefore = (await observed(recipient)).connections;

    proxy.injectDown(firstOffer!.to, firstOffer!.text);
    await expect.poll(() => securityEvents(recipient), { timeout: STEP_MS }).toContainEqual(refused(firstOffer!.from, 'replayed'));
    await says(ada, bob, 'After the replay, still here.');
    await says(bob, ada, 'Still here too.');
    // The same connection carried it: no new one was made for the replayed offer.
    expect((await observed(recipient)).connections).toBe(connectionsBefore);
    // The room notes the problem, but a working link's row keeps saying Connected: the event is
    // all a person (or the embedding page) gets to know of a replay here.
    const [peer] = await peersOf(recipient);
    expect(peer).toMatchObject({ state: 'connected', proof: 'proven', problem: 'tampered-signaling' });
    expect(await participant(recipient, recipient === bob ? ADA : BOB).innerText()).toContain('Connected');
    expectAttackerLearnedNothing(proxy.seen, roomKeyOf(link));
  });

  it('4. a payload for Bob redirected to Cy: Cy refuses it, and everyone still reaches everyone', async () => {
    // Three members. When Bob joins, the attacker takes Ada's offer to him and delivers it to Cy
    // instead (still "from Ada"), hoping Cy answers it and connects somewhere it should not, or
    // that Bob, cut off from Ada, gets the history some other way.
    proxy = await startTamperingProxy();
    const { ada, adaId, link } = await adaMakesRoom();
    const { page: cy, id: cyId } = await joins(link, CY, 2);
    await connected(ada, CY);
    await connected(cy, ADA);
    // Said before Bob joins: it reaches him as history, over a proven channel only.
    await says(ada, cy, 'Before Bob, a word between Ada and Cy.');
    let redirected = false;
    proxy.onDown = ({ message, client }) => {
      if (redirected || message?.type !== 'signal' || message.from !== adaId || client.peerId === cyId) return undefined;
      if (sealedFields(message.data)?.k !== 'offer') return undefined;
      redirected = true;
      return { redirectTo: cyId };
    };
    const started = performance.now();
    const { page: bob, id: bobId } = await joins(link, BOB, 3);
    await expect.poll(() => redirected, { timeout: STEP_MS }).toBe(true);
    await expect.poll(() => securityEvents(cy), { timeout: STEP_MS }).toContainEqual(refused(adaId, 'forged'));

    await connected(ada, BOB, RECOVERY_MS);
    await connected(bob, ADA, RECOVERY_MS);
    await connected(bob, CY, RECOVERY_MS);
    await connected(cy, BOB, RECOVERY_MS);
    timings.redirectedOfferRecoveryMs = Math.round(performance.now() - started);
    timings.redirectedOfferSenderHasSmallerId = String(adaId < bobId);
    console.log(`[timing] full mesh ${timings.redirectedOfferRecoveryMs} ms after Bob opened the link, despite the redirected offer (Ada has the smaller id: ${timings.redirectedOfferSenderHasSmallerId})`);
    // Cy's link to Ada was never touched.
    expect((await peersOf(cy)).find((peer) => peer.id === adaId)).toMatchObject({ state: 'connected', proof: 'proven' });
    await messageLog(bob).getByText('Before Bob, a word between Ada and Cy.').waitFor({ timeout: STEP_MS });
    await says(bob, ada, 'Bob to everyone, after the redirect.');
    await messageLog(cy).getByText('Bob to everyone, after the redirect.').waitFor({ timeout: STEP_MS });
    await says(ada, bob, 'Ada answers Bob.');
    await says(cy, bob, 'Cy answers Bob.');
    expectAttackerLearnedNothing(proxy.seen, roomKeyOf(link));
  });

  it('5. an offer "from Ada" made up mid-session: refused, Bob keeps Ada, and a later rebuild still works', async () => {
    // The attacker sends Bob an offer said to be from Ada, sealed with nothing it has (random
    // bytes) and with the highest counter there is, hoping Bob takes it, or at least that Bob then
    // refuses Ada's real payloads as older than this one.
    proxy = await startTamperingProxy();
    const { ada, adaId, link } = await adaMakesRoom();
    const { page: bob, id: bobId } = await joins(link, BOB, 2);
    await connected(ada, BOB);
    await connected(bob, ADA);
    await says(ada, bob, 'Before the forgery.');

    proxy.injectDown(bobId, { type: 'signal', from: adaId, data: { k: 'offer', n: Number.MAX_SAFE_INTEGER, c: randomBytes(400).toString('base64url') } });
    await expect.poll(() => securityEvents(bob), { timeout: STEP_MS }).toContainEqual(refused(adaId, 'forged'));
    await says(bob, ada, 'Bob still hears Ada.');
    await says(ada, bob, 'And Ada still hears Bob.');
    expect((await peersOf(bob))[0]).toMatchObject({ id: adaId, state: 'connected', proof: 'proven', problem: 'tampered-signaling' });

    // Bob's network drops every direct connection: rebuilding it takes fresh sealed offers from
    // Ada, which would be refused as replays if the forged counter had been taken.
    const refusedBefore = (await securityEvents(bob)).length;
    const dropped = performance.now();
    await bob.evaluate(() => {
      for (const connection of (window as unknown as { parleyTestObserved: ObservedPeerConnections }).parleyTestObserved.connections) connection.close();
    });
    await expect.poll(async () => (await observed(bob)).connections, { timeout: STEP_MS }).toBeGreaterThan(1);
    await connected(ada, BOB, RECOVERY_MS);
    await connected(bob, ADA, RECOVERY_MS);
    timings.rebuildAfterForgedCounterMs = Math.round(performance.now() - dropped);
    await says(ada, bob, 'Rebuilt after the forgery.');
    await says(bob, ada, 'Rebuilt indeed.');
    expect((await securityEvents(bob)).slice(refusedBefore)).toEqual([]);
    // Ada's good payloads cleared the warning.
    expect((await peersOf(bob))[0]).toMatchObject({ id: adaId, state: 'connected', problem: null });
    expectAttackerLearnedNothing(proxy.seen, roomKeyOf(link));
  });

  it('6. joining with the room id but without the key: sealed blobs only, junk answers refused, the chat never reaches it', async () => {
    // The attacker reads the room id from a browser's join (the server needs it in clear) and
    // joins as a member of its own, then answers the members' offers with junk.
    proxy = await startTamperingProxy();
    const { ada, adaId, link } = await adaMakesRoom();
    const { page: bob, id: bobId } = await joins(link, BOB, 2);
    await connected(ada, BOB);
    await connected(bob, ADA);
    await says(ada, bob, 'Before the intruder, a secret plan.');

    const intruder = await TestClient.connect(proxy.signalUrl);
    try {
      const welcome = await intruder.join(await proxy.roomId());
      // The server tells it who is there: ids, nothing more.
      expect(welcome.members.map((member) => Object.keys(member))).toEqual([['id'], ['id']]);
      expect(new Set(welcome.members.map((member) => member.id))).toEqual(new Set([adaId, bobId]));
      // Both members offer to the newcomer, sealed; it answers each with junk in the sealed layout.
      const offerers = (): string[] => intruder.all('signal').filter((message) => sealedFields(message.data)?.k === 'offer').map((message) => message.from);
      await expect.poll(() => new Set(offerers()), { timeout: STEP_MS }).toEqual(new Set([adaId, bobId]));
      for (const member of [adaId, bobId]) {
        intruder.send({ type: 'signal', to: member, data: { k: 'answer', n: Date.now() * 1000, c: randomBytes(300).toString('base64url') } });
      }
      for (const [page, name] of [
        [ada, 'Ada'],
        [bob, 'Bob'],
      ] as const) {
        await expect.poll(() => securityEvents(page), { timeout: STEP_MS, message: name }).toContainEqual(refused(welcome.id, 'forged'));
        await participant(page, UNNAMED).filter({ hasText: TAMPERED }).waitFor({ timeout: STEP_MS });
      }
      await says(ada, bob, 'The intruder cannot read this.');
      await says(bob, ada, 'Nor this reply.');
      // The two members still see each other as before, and the intruder as a problem.
      for (const page of [ada, bob]) {
        await connected(page, page === ada ? BOB : ADA);
        const intruderView = (await peersOf(page)).find((peer) => peer.id === welcome.id);
        expect(intruderView).toMatchObject({ name: '', problem: 'tampered-signaling' });
        expect(intruderView!.state).not.toBe('connected');
        expect(await joinedPeers(page)).not.toContain(welcome.id);
      }
      // What the intruder got: nothing but sealed blobs, membership and errors.
      await intruder.barrier();
      expect(intruder.all('signal').length).toBeGreaterThanOrEqual(2);
      const received = intruder.received.map((message: ServerMessage) => ({ text: JSON.stringify(message) }));
      expectAttackerLearnedNothing(received, roomKeyOf(link));
      expectAttackerLearnedNothing(proxy.seen, roomKeyOf(link));
    } finally {
      intruder.close();
    }
  });

  it('7. a member made up by the server: shown as someone joining, never connected, sent nothing but sealed signals', async () => {
    // The attacker tells Ada a new member joined, with an id it made up, and plays that member:
    // whatever Ada sends to it ends up with the attacker.
    proxy = await startTamperingProxy();
    const { ada, adaId, link } = await adaMakesRoom();
    const { page: bob } = await joins(link, BOB, 2);
    await connected(ada, BOB);
    await connected(bob, ADA);

    const phantomId = randomBytes(17).toString('base64url').slice(0, 22);
    const toPhantom: string[] = [];
    proxy.onUp = ({ message, text }) => {
      if (message?.type !== 'signal' || message.to !== phantomId) return undefined;
      toPhantom.push(text);
      return 'drop';
    };
    proxy.injectDown(adaId, { type: 'peer-joined', peer: { id: phantomId } });
    const phantomRow = participant(ada, UNNAMED);
    await phantomRow.waitFor({ timeout: STEP_MS });
    await expect.poll(() => toPhantom.length, { timeout: STEP_MS }).toBeGreaterThan(0);

    await says(ada, bob, 'Only Bob should read this.');
    await says(bob, ada, 'Only Ada reads this.');
    // Long enough for Ada's offer to have been answered, had anyone been able to.
    await ada.waitForTimeout(2000);
    const phantom = (await peersOf(ada)).find((peer) => peer.id === phantomId);
    expect(phantom).toMatchObject({ name: '', proof: 'pending' });
    expect(phantom!.state).not.toBe('connected');
    expect(await phantomRow.innerText()).not.toContain('Connected');
    expect(await joinedPeers(ada)).not.toContain(phantomId);
    // Bob was never told of it; Ada's direct link to Bob is the only one open.
    expect((await peersOf(bob)).map((peer) => peer.id)).toEqual([adaId]);
    for (const text of toPhantom) expect(sealedFields((JSON.parse(text) as { data: unknown }).data)).toBeDefined();
    expectAttackerLearnedNothing(proxy.seen, roomKeyOf(link));
  });
});
