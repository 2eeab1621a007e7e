// End to end, as the README tells site owners to use Parley: <parley-chat> embedded in their own
// pages with one script tag, its events, its `signaling` attribute on a page of another origin,
// and the app behind a Content-Security-Policy that refuses what it does to be fast.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BrowserSession,
  chatStatus,
  createRoom,
  messageLog,
  participant,
  sendWithEnter,
  setName,
} from '../support/chat-page.js';
import { startServer, type RunningServer } from '../support/server.js';
import { de } from '../../web/element/i18n/de.js';
import { ar } from '../../web/element/i18n/ar.js';

const ARTIFACTS = 'test-results/e2e';
const EMBEDDING_PATH = '/team-chat.html';
const EVENT_TYPES = ['parley-status-change', 'parley-peer-joined', 'parley-peer-left', 'parley-message', 'parley-link-path', 'parley-receipt', 'parley-verification'] as const;
const SURFACE_PATH = '/surface.html';

let browser: BrowserSession;
const servers: RunningServer[] = [];

beforeAll(async () => {
  browser = await BrowserSession.launch();
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterEach(() =>
  browser.endTest(async () => {
    for (const server of servers.splice(0)) await server.close();
  }),
);

afterAll(async () => {
  await browser?.close();
});

async function serve(...args: Parameters<typeof startServer>): Promise<RunningServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

interface RecordedEvent {
  /** Heard on the element itself, or on the document (outside the shadow root it sits in). */
  where: 'element' | 'document';
  type: string;
  bubbles: boolean;
  composed: boolean;
  /** The element's tag, or the shadow host's when heard from outside. */
  target: string;
  detail: Record<string, Record<string, unknown>>;
}

/**
 * A site owner's page, its chat set up from the address (`?room=…&name=…&signaling=…`): the
 * element script in <head>, and <parley-chat> inside the shadow root of the page's own
 * <chat-card> component, as a page built with components would hold it. Every Parley event is
 * recorded where it fires and again where it arrives on the document.
 */
function embeddingPage(attributes: Record<string, string>): string {
  const attributeText = Object.entries(attributes)
    .map(([name, value]) => `${name}="${value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`)
    .join(' ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Team page</title>
    <script type="module" src="/parley-chat.js"></script>
  </head>
  <body>
    <h1>Our team page</h1>
    <chat-card ${attributeText}></chat-card>
    <script>
      const types = ${JSON.stringify(EVENT_TYPES)};
      window.parleyEvents = [];
      const record = (where) => (event) =>
        window.parleyEvents.push({
          where,
          type: event.type,
          bubbles: event.bubbles,
          composed: event.composed,
          target: event.target.localName,
          detail: JSON.parse(JSON.stringify(event.detail)),
        });
      for (const type of types) document.addEventListener(type, record('document'));
      customElements.define('chat-card', class extends HTMLElement {
        connectedCallback() {
          if (this.shadowRoot) return;
          const chat = document.createElement('parley-chat');
          for (const name of ['room', 'name', 'signaling', 'lang']) if (this.hasAttribute(name)) chat.setAttribute(name, this.getAttribute(name));
          for (const type of types) chat.addEventListener(type, record('element'));
          this.attachShadow({ mode: 'open' }).append(chat);
        }
      });
    </script>
  </body>
</html>`;
}

/**
 * A page that uses the element's whole surface: a theme, a header and an empty state of its own
 * in the slots, the colours through --parley-* properties, and the methods from its own script.
 */
function surfacePage(): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Support desk</title>
    <script type="module" src="/parley-chat.js"></script>
    <style>
      body { margin: 24px; font-family: system-ui, sans-serif; }
      parley-chat.branded { --parley-accent: #0f766e; --parley-radius: 4px; height: 480px; }
      parley-chat::part(status) { font-weight: 600; }
      .desk-header { display: flex; align-items: center; gap: 8px; padding: 8px 16px; background: #0f766e; color: white; }
    </style>
  </head>
  <body>
    <parley-chat class="branded" theme="dark">
      <div slot="header" class="desk-header"><strong>Support desk</strong><span>We answer within minutes</span></div>
      <p slot="empty" class="desk-empty">Ask us anything: the first message starts the conversation.</p>
    </parley-chat>
  </body>
</html>`;
}

const CROSS_ORIGIN_PATH = '/partner.html';

/**
 * A page of another site that takes the element straight from the Parley server (`parleyOrigin`):
 * the script tag, a theme of its own, and a record of the element's events.
 */
function crossOriginPage(parleyOrigin: string, room: string, name: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Partner site</title>
    <script type="module" src="${parleyOrigin}/parley-chat.js"></script>
    <style>parley-chat { --parley-accent: #b45309; --parley-radius: 2px; height: 420px; }</style>
  </head>
  <body>
    <parley-chat room="${room}" name="${name}" theme="light"></parley-chat>
    <script>
      window.parleyEvents = [];
      for (const type of ${JSON.stringify(EVENT_TYPES)}) {
        document.querySelector('parley-chat').addEventListener(type, (event) =>
          window.parleyEvents.push({ where: 'element', type, bubbles: event.bubbles, composed: event.composed, target: event.target.localName, detail: JSON.parse(JSON.stringify(event.detail)) }));
      }
    </script>
  </body>
</html>`;
}

/** Adds the embedding pages to a server's routes. */
function addEmbeddingPage(app: FastifyInstance): void {
  app.get<{ Querystring: Record<string, string> }>(EMBEDDING_PATH, (request, reply) => reply.type('text/html').send(embeddingPage(request.query)));
  app.get(SURFACE_PATH, (_request, reply) => reply.type('text/html').send(surfacePage()));
  app.get<{ Querystring: Record<string, string> }>(CROSS_ORIGIN_PATH, (request, reply) =>
    reply.type('text/html').send(crossOriginPage(request.query.parley ?? '', request.query.room ?? '', request.query.name ?? '')),
  );
}

function embeddingPageUrl(server: RunningServer, attributes: { room: string; name: string; signaling?: string; lang?: string }): string {
  return `${server.origin}${EMBEDDING_PATH}?${new URLSearchParams(attributes)}`;
}

async function recordedEvents(page: Page): Promise<RecordedEvent[]> {
  return page.evaluate(() => (window as unknown as { parleyEvents: RecordedEvent[] }).parleyEvents);
}

/** Waits until the page recorded an event on the element matching `predicate`, and returns it. */
async function eventOnElement(page: Page, type: string, predicate: (event: RecordedEvent) => boolean = () => true, timeout = 5_000): Promise<RecordedEvent> {
  const find = async (): Promise<RecordedEvent | undefined> =>
    (await recordedEvents(page)).find((event) => event.where === 'element' && event.type === type && predicate(event));
  await expect.poll(find, { timeout }).toBeDefined();
  return (await find())!;
}

/** Ada and Bob write to each other and each sees the other's words. */
async function chatBothWays(ada: Page, bob: Page): Promise<void> {
  await sendWithEnter(ada, 'Hello from Ada');
  await messageLog(bob).getByText('Hello from Ada').waitFor();
  await sendWithEnter(bob, 'Hello back from Bob');
  await messageLog(ada).getByText('Hello back from Bob').waitFor();
}

/** Records the page's Content-Security-Policy violations, from before its first script runs. */
async function recordPolicyViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.context().addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { policyViolations: string[] }).policyViolations = violations;
    document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.effectiveDirective} ${event.blockedURI}`));
  });
  return () => page.evaluate(() => (window as unknown as { policyViolations: string[] }).policyViolations);
}

/**
 * Ada makes a room on `server` in the app and Bob opens its link; they chat both ways. Returns the
 * pages, the policy violations both recorded, and how long Bob's link took to connect.
 */
async function chatInRoomOf(server: RunningServer): Promise<{ ada: Page; bob: Page; violations: string[]; connectedMs: number }> {
  const ada = await browser.openPage();
  const adaViolations = await recordPolicyViolations(ada);
  const link = await createRoom(ada, server.origin);
  await setName(ada, 'Ada');
  // Bob opens the link: the page the head start and the warm-up worker are for.
  const bob = await browser.openPage();
  const bobViolations = await recordPolicyViolations(bob);
  const opened = performance.now();
  await bob.goto(link);
  await setName(bob, 'Bob');
  await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor();
  await participant(bob, 'Ada').filter({ hasText: 'Connected' }).waitFor();
  const connectedMs = performance.now() - opened;
  await chatBothWays(ada, bob);
  return { ada, bob, violations: [...(await adaViolations()), ...(await bobViolations())], connectedMs };
}

describe('<parley-chat> on other pages', () => {
  it('fires its events on the element, bubbling out of shadow roots, with the documented detail', async () => {
    const room = randomBytes(24).toString('base64url');
    const server = await serve({}, addEmbeddingPage);
    const ada = await browser.openPage();
    await ada.goto(embeddingPageUrl(server, { room, name: 'Ada' }));
    await chatStatus(ada, 'Connected').waitFor();
    const joined = await eventOnElement(ada, 'parley-status-change', (event) => event.detail.status!.phase === 'joined');
    expect(joined.detail).toMatchObject({ status: { phase: 'joined' } });

    const bob = await browser.openPage();
    await bob.goto(embeddingPageUrl(server, { room, name: 'Bob' }));
    const bobJoined = await eventOnElement(ada, 'parley-peer-joined');
    // Reported once Bob has proven he holds the room key and said his name over the data channel;
    // the path of the connection comes with it if the browser has said by then.
    const { path: joinedPath, ...joinedPeer } = bobJoined.detail.peer as Record<string, unknown>;
    if (joinedPath !== undefined) expect(joinedPath).toMatchObject({ route: 'local-network' });
    expect(joinedPeer).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      name: 'Bob',
      tag: expect.stringMatching(/^[A-Za-z0-9_-]{4}$/),
      state: 'connected',
      proof: 'proven',
      safetyCode: expect.stringMatching(/^\d{4} \d{4} \d{4}$/),
      verified: false,
      identityChanged: false,
    });
    const bobId = String(bobJoined.detail.peer!.id);

    await chatBothWays(ada, bob);
    const received = await eventOnElement(ada, 'parley-message', (event) => event.detail.message!.own === false);
    expect(received.detail.message).toMatchObject({ text: 'Hello back from Bob', authorName: 'Bob', authorId: bobId, own: false });
    expect(received.detail.message!.id).toMatch(new RegExp(`^${bobId}:\\d+$`));
    expect(received.detail.message!.sentAt).toEqual(expect.any(Number));
    const sent = await eventOnElement(ada, 'parley-message', (event) => event.detail.message!.own === true);
    expect(sent.detail.message).toMatchObject({ text: 'Hello from Ada', authorName: 'Ada', own: true });
    await ada.screenshot({ path: `${ARTIFACTS}/embedding-events.png` });

    await bob.close();
    // How the connection goes, once known: two pages on one machine reach each other directly.
    // (The browser's stats may lag the channel: the room reads them again within the regular interval.)
    const linkPath = await eventOnElement(ada, 'parley-link-path', () => true, 10_000);
    expect(linkPath.detail).toMatchObject({ participant: { id: bobId }, path: { route: 'local-network', localCandidate: 'host', protocol: 'udp' } });

    const bobLeft = await eventOnElement(ada, 'parley-peer-left');
    expect(bobLeft.detail.peer).toMatchObject({ id: bobId, name: 'Bob' });

    // Every event bubbled and was composed: the document heard each one, from the shadow host.
    const events = await recordedEvents(ada);
    const onElement = events.filter((event) => event.where === 'element');
    expect(new Set(onElement.map((event) => event.type))).toEqual(new Set(EVENT_TYPES));
    for (const event of onElement) expect(event).toMatchObject({ bubbles: true, composed: true, target: 'parley-chat' });
    const phases = onElement.filter((event) => event.type === 'parley-status-change').map((event) => event.detail.status!.phase);
    expect(phases.slice(0, 2)).toEqual(['connecting', 'joined']);
    const heardOutside = events.filter((event) => event.where === 'document');
    expect(heardOutside.map(({ type, detail, target }) => ({ type, detail, target }))).toEqual(
      onElement.map(({ type, detail }) => ({ type, detail, target: 'chat-card' })),
    );
  });

  it('keeps attributes and properties in sync, and its theme, slots, focus(), leave() and join() work as documented', async () => {
    const room = randomBytes(24).toString('base64url');
    const server = await serve({}, addEmbeddingPage);
    const ada = await browser.openPage();
    await ada.goto(`${server.origin}${SURFACE_PATH}`);
    const chat = ada.locator('parley-chat');
    // Set from the page's script as properties: they show as attributes too.
    await chat.evaluate((element: HTMLElement & { room: string; name: string }, key) => {
      element.room = key;
      element.name = 'Ada';
    }, room);
    expect(await chat.getAttribute('room')).toBe(room);
    expect(await chat.getAttribute('name')).toBe('Ada');
    await chatStatus(ada, 'Connected').waitFor();
    // An attribute set later is the property too, and renames at once.
    await chat.evaluate((element) => element.setAttribute('name', 'Ada at the desk'));
    expect(await chat.evaluate((element: HTMLElement & { name: string }) => element.name)).toBe('Ada at the desk');

    // theme="dark" on a light system: the dark palette, the page's accent kept.
    const colours = () =>
      chat.evaluate((element) => {
        const button = element.shadowRoot!.querySelector('button[type=submit]')!;
        return { background: getComputedStyle(element).backgroundColor, accent: getComputedStyle(button).backgroundColor, scheme: getComputedStyle(element).colorScheme };
      });
    expect(await colours()).toEqual({ background: 'rgb(15, 23, 42)', accent: 'rgb(15, 118, 110)', scheme: 'dark' });
    // The slots: the page's header above the status, its empty state in the log.
    await ada.getByText('Support desk').first().waitFor();
    await ada.getByText('Ask us anything').waitFor();
    // (Slotted content stays in the page's own tree: where it shows is the slot it is assigned to.)
    const slottedInto = (slot: string) =>
      chat.evaluate((element, name) => {
        const target = element.shadowRoot!.querySelector(`slot[name=${name}]`) as HTMLSlotElement | null;
        return target ? { assigned: target.assignedElements().length, inLog: target.closest('.log') !== null, inHeader: target.closest('.header') !== null } : undefined;
      }, slot);
    expect(await slottedInto('empty')).toEqual({ assigned: 1, inLog: true, inHeader: false });
    expect(await slottedInto('header')).toEqual({ assigned: 1, inLog: false, inHeader: true });
    await ada.screenshot({ path: `${ARTIFACTS}/embedding-surface-dark.png` });
    // theme="light" on a dark system: light it stays.
    await ada.emulateMedia({ colorScheme: 'dark' });
    await chat.evaluate((element) => element.setAttribute('theme', 'light'));
    expect(await colours()).toMatchObject({ background: 'rgb(255, 255, 255)', scheme: 'light' });
    await chat.evaluate((element: HTMLElement & { theme: string }) => (element.theme = 'auto'));
    expect(await chat.getAttribute('theme')).toBe('auto');
    expect(await colours()).toMatchObject({ background: 'rgb(15, 23, 42)' });
    await ada.emulateMedia({ colorScheme: 'light' });

    // focus() puts the keyboard in the message box.
    await chat.evaluate((element) => element.focus());
    expect(await chat.evaluate((element) => element.shadowRoot!.activeElement?.localName)).toBe('textarea');

    const bob = await browser.openPage();
    await bob.goto(embeddingPageUrl(server, { room, name: 'Bob' }));
    await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor();
    await sendWithEnter(bob, 'Is anyone there?');
    await messageLog(ada).getByText('Is anyone there?').waitFor();
    // The empty state gives way to the conversation.
    expect(await slottedInto('empty')).toBeUndefined();
    expect(await ada.getByText('Ask us anything').isVisible()).toBe(false);
    // A screen reader hears one short line of it, not the whole log again.
    const announced = (page: Page) => page.locator('.announcer').textContent();
    expect(await messageLog(ada).getAttribute('aria-live')).toBe('off');
    await expect.poll(() => announced(ada)).toBe('Bob: Is anyone there?');

    // leave(): Bob sees Ada go at once; her page says so and offers to join again.
    await chat.evaluate((element: HTMLElement & { leave(): void }) => element.leave());
    await chatStatus(ada, 'You left this room.').waitFor();
    await eventOnElement(bob, 'parley-peer-left', (event) => event.detail.peer!.name === 'Ada at the desk');
    expect(await ada.getByRole('textbox', { name: 'Message' }).isDisabled()).toBe(true);
    await ada.screenshot({ path: `${ARTIFACTS}/embedding-surface-left.png` });
    // join(), here through the button the status offers: back in, and the conversation with her.
    await ada.getByRole('button', { name: 'Join again' }).click();
    await chatStatus(ada, 'Connected').waitFor();
    await participant(bob, 'Ada at the desk').filter({ hasText: 'Connected' }).waitFor();
    await messageLog(ada).getByText('Is anyone there?').waitFor();
    // That came back as history: not read out again.
    expect(await announced(ada)).toBe('Bob: Is anyone there?');
    await sendWithEnter(ada, 'Back, how can I help?');
    await messageLog(bob).getByText('Back, how can I help?').waitFor();
    // Her own message is not read to her; Bob hears it.
    await expect.poll(() => announced(bob)).toBe('Ada at the desk: Back, how can I help?');
    expect(await announced(ada)).toBe('Bob: Is anyone there?');
  });

  it('speaks German and Arabic, by its lang attribute or the browser’s languages, and mirrors for Arabic', async () => {
    const room = randomBytes(24).toString('base64url');
    const server = await serve({}, addEmbeddingPage);
    // Ada's browser is German; her page says nothing of languages.
    const ada = await browser.openPage(undefined, 'de-DE');
    await ada.goto(embeddingPageUrl(server, { room, name: 'Ada' }));
    await chatStatus(ada, de.statusAlone).waitFor();
    // Bob's page asks for Arabic.
    const bob = await browser.openPage(undefined, 'en-US');
    await bob.goto(embeddingPageUrl(server, { room, name: 'بوب', lang: 'ar' }));
    await chatStatus(bob, ar.statusDirect).waitFor();
    await chatStatus(ada, de.statusDirect).waitFor();
    // (The roles' names are in each page's language: the boxes are found by what they are.)
    const write = async (page: Page, text: string) => {
      await page.locator('textarea').fill(text);
      await page.locator('textarea').press('Enter');
    };
    const log = (page: Page) => page.getByRole('log');
    await write(ada, 'Hallo Bob');
    await log(bob).getByText('Hallo Bob').waitFor();
    await write(bob, 'مرحبا يا Ada');
    await log(ada).getByText('مرحبا يا Ada').waitFor();
    await log(bob).getByText(ar.delivered, { exact: true }).waitFor();
    await log(ada).getByText(de.delivered, { exact: true }).waitFor();
    expect(await log(bob).getAttribute('aria-label')).toBe(ar.messages);
    expect(await bob.getByRole('textbox', { name: ar.messageBox }).getAttribute('placeholder')).toBe(ar.messagePlaceholder);

    // Mirrored: the people on the right, the log on the left, my own messages on the left.
    const chat = bob.locator('parley-chat');
    expect(await chat.evaluate((element) => element.shadowRoot!.querySelector('.chat')!.getAttribute('dir'))).toBe('rtl');
    const box = async (selector: string) => (await bob.locator(selector).first().boundingBox())!;
    expect((await box('.participants')).x).toBeGreaterThan((await box('.log')).x);
    const own = await box('.message.own');
    const theirs = await box('.message:not(.own)');
    expect(own.x).toBeLessThan(theirs.x);
    // Times in the element's language (ص / م for AM / PM), whatever the browser's.
    expect(await bob.locator('.message time').first().textContent()).toMatch(/[\u0600-\u06ff]/);
    await bob.screenshot({ path: `${ARTIFACTS}/embedding-arabic.png` });
    await bob.setViewportSize({ width: 390, height: 760 });
    await bob.screenshot({ path: `${ARTIFACTS}/embedding-arabic-phone.png` });
    await ada.screenshot({ path: `${ARTIFACTS}/embedding-german.png` });

    // The attribute changes the language at once, back to English.
    await chat.evaluate((element) => element.setAttribute('lang', 'en'));
    await chatStatus(bob, 'Connected · chat goes directly between browsers').waitFor();
    expect(await chat.evaluate((element) => element.shadowRoot!.querySelector('.chat')!.getAttribute('dir'))).toBe('ltr');
  });

  it('the themed example page the server serves works: two tabs chat, the theme switches, events are listed', async () => {
    const server = await serve();
    const ada = await browser.openPage();
    await ada.goto(`${server.origin}/examples/themed.html`);
    await chatStatus(ada, 'Connected').waitFor();
    // It made a room and put it in the address: a second tab of that address is the same room.
    const address = ada.url();
    expect(new URL(address).hash).toMatch(/^#[A-Za-z0-9_-]{22}$/);
    const bob = await browser.openPage();
    await bob.goto(address);
    await participant(ada, 'Visitor').filter({ hasText: 'Connected' }).waitFor();
    await sendWithEnter(bob, 'Hello desk');
    await messageLog(ada).getByText('Hello desk').waitFor();
    await ada.getByText('parley-message Visitor: Hello desk').waitFor();
    await ada.getByLabel('Dark').check();
    expect(await ada.locator('parley-chat').getAttribute('theme')).toBe('dark');
    await ada.screenshot({ path: `${ARTIFACTS}/example-themed-dark.png`, fullPage: true });
  });

  it('on a page of another origin that loads the script from the Parley server: chats with the app if listed, and says it is refused if not', async () => {
    const partner = await serve({}, addEmbeddingPage);
    const stranger = await serve({}, addEmbeddingPage);
    const parley = await serve({ allowedOrigins: [partner.origin] });
    const ada = await browser.openPage();
    const link = await createRoom(ada, parley.origin);
    await setName(ada, 'Ada');
    const room = new URL(link).hash.slice(1);
    const pageOf = (site: RunningServer, name: string) => `${site.origin}${CROSS_ORIGIN_PATH}?${new URLSearchParams({ parley: parley.origin, room, name })}`;

    // The partner's page: the script and signaling from the Parley server, its own colours.
    const bob = await browser.openPage();
    await bob.goto(pageOf(partner, 'Bob'));
    await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor();
    await participant(bob, 'Ada').filter({ hasText: 'Connected' }).waitFor();
    await chatBothWays(ada, bob);
    const fromAda = await eventOnElement(bob, 'parley-message', (event) => event.detail.message!.own === false);
    expect(fromAda.detail.message).toMatchObject({ text: 'Hello from Ada', authorName: 'Ada' });
    const accent = await bob.locator('parley-chat').evaluate((element) => getComputedStyle(element.shadowRoot!.querySelector('button[type=submit]')!).backgroundColor);
    expect(accent).toBe('rgb(180, 83, 9)');
    await bob.screenshot({ path: `${ARTIFACTS}/embedding-partner-site.png` });

    // A site the server does not list: the element says so, plainly, and stops trying.
    const eve = await browser.openPage();
    await eve.goto(pageOf(stranger, 'Eve'));
    await chatStatus(eve, `This Parley server does not accept chats from this site (${stranger.origin}). Its operator can allow the site with ALLOWED_ORIGINS.`).waitFor();
    const refused = await eventOnElement(eve, 'parley-status-change', (event) => event.detail.status!.phase === 'rejected');
    expect(refused.detail.status).toMatchObject({ phase: 'rejected', code: 'origin-not-allowed' });
    expect(await eve.getByRole('textbox', { name: 'Message' }).isDisabled()).toBe(true);
    expect(await participant(ada, 'Eve').count()).toBe(0);
    await eve.screenshot({ path: `${ARTIFACTS}/embedding-origin-refused.png` });
  });

  it('on a page of another origin, joins the room of an app link through the `signaling` attribute', async () => {
    // The site hosts its own copy of the script, so without the attribute the element would look
    // for signaling on the site, which is not where the room is.
    const site = await serve({}, addEmbeddingPage);
    let siteConnections = 0;
    site.app.signalingSockets.on('connection', () => (siteConnections += 1));
    const parley = await serve({ allowedOrigins: [site.origin] });
    expect(site.origin).not.toBe(parley.origin);

    const ada = await browser.openPage();
    const link = await createRoom(ada, parley.origin);
    await setName(ada, 'Ada');

    const bob = await browser.openPage();
    const opened = performance.now();
    await bob.goto(embeddingPageUrl(site, { room: new URL(link).hash.slice(1), name: 'Bob', signaling: parley.signalUrl }));
    await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor();
    await participant(bob, 'Ada').filter({ hasText: 'Connected' }).waitFor();
    console.log(`[timing] embedding page on another origin opened → connected: ${Math.round(performance.now() - opened)} ms`);
    await chatBothWays(ada, bob);
    expect(siteConnections).toBe(0);
    await bob.screenshot({ path: `${ARTIFACTS}/embedding-other-origin.png` });
  });
});

describe("the app under Parley's own security headers", () => {
  it('joins and chats with its inline head start allowed by hash, and nothing refused', async () => {
    const { bob, violations } = await chatInRoomOf(await serve());
    expect(violations).toEqual([]);
    // The inline script ran (it leaves its socket for the app, which takes it).
    expect(await bob.evaluate(() => 'parleyPreconnectedSignaling' in window)).toBe(true);
    expect((await bob.evaluate(() => document.querySelector('parley-chat')?.shadowRoot?.adoptedStyleSheets.length)) ?? 0).toBeGreaterThan(0);
  });

  it('cannot be framed by a page of another site (which could overlay it and trick clicks)', async () => {
    const parley = await serve();
    const site = await serve({}, (app) => {
      app.get('/framing.html', (_request, reply) =>
        reply.type('text/html').send(`<!doctype html><title>Framing</title><iframe id="framed" src="${parley.origin}/" width="800" height="600"></iframe>`),
      );
    });
    const page = await browser.openPage();
    await page.goto(`${site.origin}/framing.html`);
    const framed = page.frames().find((frame) => frame !== page.mainFrame());
    expect(framed).toBeDefined();
    // Chromium replaces a frame its policy forbids with an error page: the app never loads there.
    await expect.poll(() => framed!.url()).not.toBe(`${parley.origin}/`);
    expect(await framed!.locator('#new-room').count()).toBe(0);
    // The same page opened directly does load.
    const direct = await browser.openPage();
    await direct.goto(`${parley.origin}/`);
    await direct.locator('#new-room').waitFor();
  });
});

describe('the app behind a Content-Security-Policy', () => {
  it.each([
    {
      refuses: 'inline scripts',
      policy: "script-src 'self'; worker-src 'self' blob:",
      violation: 'script-src-elem inline',
      screenshot: 'csp-no-inline-script',
    },
    {
      refuses: 'blob: workers',
      policy: "worker-src 'self'",
      violation: 'worker-src blob',
      screenshot: 'csp-no-blob-worker',
    },
  ])('refusing $refuses, it still joins, chats and shows message times', async ({ policy, violation, screenshot }) => {
    const server = await serve({}, (app) => {
      // What a reverse proxy adding a policy to every response looks like to the browser.
      app.addHook('onSend', async (_request, reply) => {
        reply.header('Content-Security-Policy', policy);
      });
    });
    const { ada, bob, violations, connectedMs } = await chatInRoomOf(server);
    console.log(`[timing] room link under "${policy}" opened → connected: ${Math.round(connectedMs)} ms`);
    // The policy did refuse what it names, on both pages, and nothing else…
    expect(new Set(violations)).toEqual(new Set([violation]));
    // …and each message still shows when it was written.
    for (const [page, text] of [
      [bob, 'Hello from Ada'],
      [ada, 'Hello back from Bob'],
    ] as const) {
      const time = messageLog(page).getByRole('article').filter({ hasText: text }).locator('time');
      await expect.poll(() => time.textContent()).toMatch(/\d/);
      expect(await time.getAttribute('title')).toMatch(/\d/);
    }
    await bob.screenshot({ path: `${ARTIFACTS}/${screenshot}.png` });
  });
});
