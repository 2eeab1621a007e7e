// End to end: the built app served by the real server, real Chromium, real data channels.
// Each step builds on the previous one, as one group of friends using one room would.
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
// Its readyState constants, for the page's sockets: Node 20 has no WebSocket global.
import NodeWebSocket from 'ws';
import {
  BrowserSession,
  chatStatus,
  createRoom,
  messageBox,
  messageLog as log,
  observed,
  participant,
  sendWithEnter,
  setName,
  twoConnected,
} from '../support/chat-page.js';
import { startServer, type RunningServer } from '../support/server.js';

const ARTIFACTS = 'test-results/e2e';
const HOSTILE = '<img src=x onerror=alert(1)>';
/** The ICE server list the signaling server hands out in these tests (a loopback STUN port). */
const ICE_SERVERS = [{ urls: 'stun:127.0.0.1:3478' }];

let server: RunningServer;
let browser: BrowserSession;
/** Every frame the server received over its WebSockets, as text. */
const framesSeenByServer: string[] = [];
let roomLink = '';
const timings: Record<string, number> = {};

let ada: Page;
let bob: Page;
let cy: Page;

const openPage = (viewport?: { width: number; height: number }): Promise<Page> => browser.openPage(viewport);

beforeAll(async () => {
  server = await startServer({ roomCapacity: 3, iceServers: ICE_SERVERS });
  server.app.signalingSockets.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => framesSeenByServer.push(data.toString()));
  });
  browser = await BrowserSession.launch();
  mkdirSync(ARTIFACTS, { recursive: true });
});

// The pages live on from test to test (one group of friends), so a problem is blamed on the test
// during which it happened.
afterEach(() => browser.expectNoProblems());

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (Object.keys(timings).length > 0) writeFileSync(`${ARTIFACTS}/timings.json`, JSON.stringify(timings, null, 2));
});

describe('Parley in real browsers', () => {
  it('New room leads to a room link with a random 128-bit key', async () => {
    ada = await openPage();
    await ada.goto(server.origin);
    await ada.screenshot({ path: `${ARTIFACTS}/landing-desktop.png` });
    roomLink = await createRoom(ada, server.origin);
    expect(roomLink.startsWith(`${server.origin}/#`)).toBe(true);
    await setName(ada, 'Ada');
    await chatStatus(ada, 'Connected').waitFor();

    await ada.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    await ada.getByRole('button', { name: 'Copy room link' }).click();
    await ada.getByRole('button', { name: 'Link copied' }).waitFor();
    expect(await ada.evaluate(() => navigator.clipboard.readText())).toBe(roomLink);

    // A second "New room" makes a different key.
    const other = await openPage();
    expect(await createRoom(other, server.origin)).not.toBe(roomLink);
    await other.context().close();
  });

  it('a second browser opening the link joins, and both chat both ways', async () => {
    bob = await openPage();
    const bobWorkers: string[] = [];
    bob.on('worker', (worker) => {
      bobWorkers.push('started');
      worker.on('close', () => bobWorkers.push('ended'));
    });
    const opened = performance.now();
    await bob.goto(roomLink);
    // Ada writes as soon as she sees Bob connected, as a person would.
    await participant(ada, 'Connected').waitFor();
    const channelOpen = performance.now();
    await sendWithEnter(ada, 'Hello Bob, this is Ada');
    await log(bob).getByText('Hello Bob, this is Ada').waitFor();
    timings.secondLinkToChannelOpenMs = Math.round(channelOpen - opened);
    timings.secondLinkToFirstMessageMs = Math.round(performance.now() - opened);
    console.log(`[timing] second link opened → data channel open: ${timings.secondLinkToChannelOpenMs} ms`);
    console.log(`[timing] second link opened → first message shown: ${timings.secondLinkToFirstMessageMs} ms`);

    await setName(bob, 'Bob');
    await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor();
    await participant(bob, 'Ada').filter({ hasText: 'Connected' }).waitFor();

    await messageBox(bob).fill('Hi Ada! Bob here.');
    await bob.getByRole('button', { name: 'Send' }).click();
    await log(ada).getByText('Hi Ada! Bob here.').waitFor();
    await expect.poll(() => messageBox(bob).inputValue()).toBe('');

    // Each entry shows author, time and text.
    const entry = log(ada).getByRole('article').filter({ hasText: 'Hi Ada! Bob here.' });
    await expect.poll(() => entry.textContent()).toContain('Bob');
    expect(await entry.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await entry.locator('time').textContent()).toMatch(/\d/);
    // Bob's page loaded the locale's date data on one short-lived worker, off its main thread.
    await expect.poll(() => bobWorkers).toEqual(['started', 'ended']);
  });

  it('uses exactly the ICE servers the signaling server hands out, after one warm-up that never negotiates', async () => {
    // Ada made the room from the landing page (warmed up once she joined); Bob opened its link
    // (warmed up by index.html's inline script, before the app's script ran).
    for (const page of [ada, bob]) {
      const { iceServers, neverNegotiated } = await observed(page);
      expect(iceServers.length).toBeGreaterThan(0);
      for (const list of iceServers) expect(list).toEqual(ICE_SERVERS);
      expect(neverNegotiated).toEqual(['closed']);
    }
  });

  it('renders hostile text literally and Shift+Enter inserts a newline', async () => {
    await sendWithEnter(ada, HOSTILE);
    const shown = log(bob).getByText(HOSTILE, { exact: true });
    await shown.waitFor();
    expect(await bob.locator('parley-chat img').count()).toBe(0);
    await setName(ada, '<b>Ada</b>');
    await participant(bob, '<b>Ada</b>').waitFor();
    expect(await bob.locator('parley-chat b').count()).toBe(0);
    await setName(ada, 'Ada');

    await messageBox(bob).fill('first line');
    await messageBox(bob).press('Shift+Enter');
    await messageBox(bob).pressSequentially('second line');
    expect(await messageBox(bob).inputValue()).toBe('first line\nsecond line');
    await messageBox(bob).press('Enter');
    const multiline = log(ada).getByRole('article').filter({ hasText: 'second line' });
    await multiline.waitFor();
    expect(await multiline.locator('.text').innerText()).toBe('first line\nsecond line');
  });

  it('keeps what was typed when a message is refused', async () => {
    await messageBox(ada).fill('   ');
    await messageBox(ada).press('Enter');
    await ada.getByRole('alert').filter({ hasText: 'Type a message first' }).waitFor();
    expect(await messageBox(ada).inputValue()).toBe('   ');
    await messageBox(ada).fill('');
  });

  it('a third browser joins the same chat and reaches both', async () => {
    cy = await openPage({ width: 390, height: 760 });
    await cy.goto(roomLink);
    await setName(cy, 'Cy');
    await participant(cy, 'Ada').filter({ hasText: 'Connected' }).waitFor();
    await participant(cy, 'Bob').filter({ hasText: 'Connected' }).waitFor();
    await participant(ada, 'Cy').filter({ hasText: 'Connected' }).waitFor();
    await participant(bob, 'Cy').filter({ hasText: 'Connected' }).waitFor();

    await sendWithEnter(cy, 'Cy says hi to everyone');
    await log(ada).getByText('Cy says hi to everyone').waitFor();
    await log(bob).getByText('Cy says hi to everyone').waitFor();
    await sendWithEnter(bob, 'Welcome, Cy');
    await log(cy).getByText('Welcome, Cy').waitFor();
    await log(ada).getByText('Welcome, Cy').waitFor();

    await cy.screenshot({ path: `${ARTIFACTS}/room-phone.png` });
    await ada.screenshot({ path: `${ARTIFACTS}/room-desktop.png` });
    // On a phone the name field keeps room for a name: Notify me is a bell there, its words still its name.
    const notify = cy.getByRole('button', { name: 'Notify me' });
    expect([await notify.isVisible(), await notify.evaluate((button) => getComputedStyle(button.querySelector('.bell')!).display)]).toEqual([true, 'block']);
    expect((await cy.getByRole('textbox', { name: 'Your name' }).boundingBox())!.width).toBeGreaterThanOrEqual(120);
    expect(await ada.getByRole('button', { name: 'Notify me' }).evaluate((button) => getComputedStyle(button.querySelector('.bell')!).display)).toBe('none');
  });

  it('shows both people the same safety code, and remembers a verification across a reload', async () => {
    const codeShown = async (page: Page, name: string): Promise<string> => {
      await participant(page, name).getByRole('button').click();
      const details = page.getByRole('region', { name: `About ${name}` });
      await details.waitFor();
      return details.locator('.safety-code').innerText();
    };
    const atAda = await codeShown(ada, 'Bob');
    const atBob = await codeShown(bob, 'Ada');
    expect(atAda).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(atBob).toBe(atAda);
    // Each message shows a tag from its author's key next to the name.
    const bobsTag = await participant(ada, 'Bob').locator('.tag').innerText();
    expect(bobsTag).toMatch(/^#[A-Za-z0-9_-]{4}$/);
    // The tests find a participant by text outside that random tag (a tag "#vcY3" once made "Cy" match Ada).
    expect(await participant(ada, bobsTag.slice(1)).count()).toBe(0);
    expect(await log(ada).getByRole('article').filter({ hasText: 'Welcome, Cy' }).locator('.tag').innerText()).toBe(bobsTag);

    await ada.getByRole('button', { name: 'Mark Bob as verified' }).click();
    await participant(ada, 'Bob').filter({ hasText: 'Verified · connected' }).waitFor();
    await ada.screenshot({ path: `${ARTIFACTS}/safety-code-desktop.png` });
    await codeShown(cy, 'Ada');
    await cy.screenshot({ path: `${ARTIFACTS}/safety-code-phone.png` });
    await bob.emulateMedia({ colorScheme: 'dark' });
    await bob.screenshot({ path: `${ARTIFACTS}/safety-code-dark.png` });
    await bob.emulateMedia({ colorScheme: 'light' });
    // Escape closes the details and gives the focus back to the participant.
    await bob.keyboard.press('Escape');
    await expect.poll(() => bob.getByRole('region', { name: 'About Ada' }).count()).toBe(0);
    await cy.keyboard.press('Escape');

    // Ada reloads: same participant, same key, so Bob is still verified, on a new connection.
    await ada.reload();
    await participant(ada, 'Bob').filter({ hasText: 'Verified · connected' }).waitFor({ timeout: 15_000 });
    await participant(ada, 'Cy').filter({ hasText: 'Connected' }).waitFor();
  });

  it('a fourth browser is told the room is full', async () => {
    const dee = await openPage();
    await dee.goto(roomLink);
    await chatStatus(dee, 'full').waitFor();
    expect(await messageBox(dee).isDisabled()).toBe(true);
    await dee.screenshot({ path: `${ARTIFACTS}/room-full.png` });
    await dee.context().close();
  });

  it('fires typed events and sends through the element API', async () => {
    await bob.evaluate(() => {
      const seen: { text: string; author: string; composed: boolean }[] = [];
      (window as unknown as { seen: typeof seen }).seen = seen;
      document.addEventListener('parley-message', (event) => {
        const { message } = event.detail;
        if (!message.own) seen.push({ text: message.text, author: message.authorName, composed: event.composed });
      });
    });
    await ada.evaluate(() => document.querySelector('parley-chat')!.send('sent through send()'));
    await expect
      .poll(() => bob.evaluate(() => (window as unknown as { seen: unknown[] }).seen))
      .toEqual([{ text: 'sent through send()', author: 'Ada', composed: true }]);
  });

  it('keeps chatting after the signaling server stops, and the server never saw chat text', async () => {
    await server.close();
    for (const page of [ada, bob, cy]) await chatStatus(page, 'unreachable').waitFor();

    await sendWithEnter(ada, 'Server is gone and we still talk');
    await log(bob).getByText('Server is gone and we still talk').waitFor();
    await log(cy).getByText('Server is gone and we still talk').waitFor();
    await sendWithEnter(cy, 'Cy still here');
    await log(ada).getByText('Cy still here').waitFor();
    await log(bob).getByText('Cy still here').waitFor();
    await ada.screenshot({ path: `${ARTIFACTS}/room-offline-desktop.png` });

    // Without signaling, a closed tab is noticed through its data channels closing.
    await cy.close();
    await expect.poll(() => participant(ada, 'Cy').count(), { timeout: 15_000 }).toBe(0);

    expect(framesSeenByServer.length).toBeGreaterThan(0);
    const chatTexts = ['Hello Bob, this is Ada', 'Hi Ada! Bob here.', 'Cy says hi', 'Welcome, Cy', HOSTILE, 'sent through send()'];
    for (const frame of framesSeenByServer) {
      for (const text of chatTexts) expect(frame).not.toContain(text);
      // The room key never reaches the server; only its hash does.
      expect(frame).not.toContain(roomLink.split('#')[1]);
    }
  });

  it('starts the signaling connection from the HTML, before the app script, and only for room links', async () => {
    const another = await startServer();
    let serverConnections = 0;
    another.app.signalingSockets.on('connection', () => (serverConnections += 1));
    const page = await openPage();
    // Records every WebSocket the page opens, and whether the inline head script opened it.
    await page.context().addInitScript(() => {
      const opened: { inline: boolean; socket: WebSocket }[] = [];
      (window as unknown as { openedSockets: typeof opened }).openedSockets = opened;
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          const script = document.currentScript as HTMLScriptElement | null;
          opened.push({ inline: script !== null && script.src === '', socket: this });
        }
      };
    });
    const sockets = (): Promise<{ inline: boolean; readyState: number }[]> =>
      page.evaluate(() =>
        (window as unknown as { openedSockets: { inline: boolean; socket: WebSocket }[] }).openedSockets.map(({ inline, socket }) => ({
          inline,
          readyState: socket.readyState,
        })),
      );
    try {
      await page.goto(another.origin);
      await page.getByRole('button', { name: 'New room' }).waitFor();
      expect(await sockets()).toEqual([]);

      // about:blank in between: a link that differs only after '#' would not load the page again.
      await page.goto('about:blank');
      await page.goto(`${another.origin}/#${'k'.repeat(22)}`);
      await chatStatus(page, 'Connected').waitFor();
      expect(await sockets()).toEqual([{ inline: true, readyState: NodeWebSocket.OPEN }]);
      expect(serverConnections).toBe(1);

      await page.goto('about:blank');
      await page.goto(`${another.origin}/#not-a-room`);
      await page.getByRole('heading', { name: "This room link doesn't look right." }).waitFor();
      await expect.poll(async () => (await sockets()).map((socket) => [socket.inline, socket.readyState >= NodeWebSocket.CLOSING])).toEqual([[true, true]]);
    } finally {
      await page.context().close();
      await another.close();
    }
  });

  it('shows a clear page for a malformed room link, and remembers the name across reloads', async () => {
    const page = await openPage();
    const another = await startServer();
    try {
      await page.goto(`${another.origin}/#not-a-room`);
      await page.getByRole('heading', { name: "This room link doesn't look right." }).waitFor();
      await page.getByRole('button', { name: 'New room' }).click();
      await page.waitForURL(/#[A-Za-z0-9_-]{22}$/);

      // A friendly default name first; a blank name is refused and the previous one comes back.
      const field = page.getByRole('textbox', { name: 'Your name' });
      expect(await field.inputValue()).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      await setName(page, '   ');
      expect(await field.inputValue()).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      await setName(page, 'Zed');
      await page.reload();
      expect(await page.getByRole('textbox', { name: 'Your name' }).inputValue()).toBe('Zed');
      await page.getByRole('region', { name: 'Participants' }).getByText('Zed').waitFor();
    } finally {
      await page.context().close();
      await another.close();
    }
  });
});

/**
 * Ada makes a room on a server of its own and Bob joins; `run` gets both pages once they are
 * connected, and everything is closed after. `prepareAda` runs on Ada's page before it loads.
 */
async function inRoomOfTwo(run: (pages: { ada: Page; bob: Page }) => Promise<void>, prepareAda?: (ada: Page) => Promise<void>): Promise<void> {
  const another = await startServer();
  let pages: { ada: Page; bob: Page } | undefined;
  try {
    pages = await twoConnected(browser, another.origin, prepareAda);
    await run(pages);
  } finally {
    await pages?.ada.context().close();
    await pages?.bob.context().close();
    await another.close();
  }
}

describe('the app in the browser’s language', () => {
  it('speaks German to a German browser and Arabic, right to left, to an Arabic one, page and chat alike', async () => {
    const another = await startServer();
    const german = await browser.openPage(undefined, 'de-DE');
    const arabic = await browser.openPage(undefined, 'ar-EG');
    try {
      await german.goto(another.origin);
      await german.getByRole('heading', { name: 'Chatte direkt, von Browser zu Browser.' }).waitFor();
      expect(await german.evaluate(() => [document.documentElement.lang, document.documentElement.dir, document.title])).toEqual(['de', 'ltr', 'Parley · privater Peer-to-Peer-Chat']);
      await german.getByRole('button', { name: 'Neuer Raum' }).click();
      await german.waitForURL(/#[A-Za-z0-9_-]{22}$/);
      await german.getByRole('button', { name: 'Raumlink kopieren' }).waitFor();
      await german.getByRole('region', { name: 'Teilnehmende' }).waitFor();

      await arabic.goto(another.origin);
      await arabic.getByRole('heading', { name: 'تحدّث مباشرةً، من متصفح إلى متصفح.' }).waitFor();
      expect(await arabic.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['ar', 'rtl']);
      await arabic.screenshot({ path: `${ARTIFACTS}/app-landing-arabic.png` });
      await arabic.goto(german.url());
      await arabic.getByRole('textbox', { name: 'اسمك' }).fill('ليلى');
      await arabic.getByRole('textbox', { name: 'اسمك' }).press('Enter');
      await german.getByRole('region', { name: 'Teilnehmende' }).getByText('ليلى').waitFor();
      await arabic.getByRole('region', { name: 'المشاركون' }).waitFor();
      // Mirrored: the brand on the right, Leave on the left.
      const brand = (await arabic.locator('.brand').boundingBox())!;
      const leave = (await arabic.locator('#leave').boundingBox())!;
      expect(brand.x).toBeGreaterThan(leave.x);
      await arabic.screenshot({ path: `${ARTIFACTS}/app-room-arabic.png` });

      // Replies, reactions and files, right to left: the German side writes, replies, offers a file.
      const germanBox = german.getByRole('textbox', { name: 'Nachricht', exact: true });
      await germanBox.fill('Hallo Layla!');
      await germanBox.press('Enter');
      const first = german.getByRole('log').getByRole('article').filter({ hasText: 'Hallo Layla!' });
      await first.hover();
      await first.getByRole('button', { name: 'Antworten' }).click();
      await germanBox.fill('Und hier die Notizen.');
      await germanBox.press('Enter');
      await german.getByLabel('Dateien anhängen').setInputFiles([{ name: 'notizen.txt', mimeType: 'text/plain', buffer: Buffer.from('Punkt 1') }]);
      const arabicLog = arabic.getByRole('log');
      await arabicLog.locator('.file-name', { hasText: 'notizen.txt' }).waitFor();
      const greeting = arabicLog.getByRole('article').filter({ hasText: 'Hallo Layla!' }).first();
      await greeting.hover();
      await greeting.getByRole('button', { name: 'تفاعل بـ ❤️' }).click();
      await arabicLog.getByRole('article').filter({ hasText: 'notizen.txt' }).getByRole('button', { name: 'تنزيل' }).click();
      await arabicLog.getByText('استُلم وتم التحقق منه').waitFor();
      await greeting.hover();
      await arabic.screenshot({ path: `${ARTIFACTS}/app-room-arabic-conversation.png` });
    } finally {
      await german.context().close();
      await arabic.context().close();
      await another.close();
    }
  });
});

describe('formatted messages', () => {
  it('shows bold, italic, code, code blocks and web links as such, and a script link as the text it is', async () => {
    await inRoomOfTwo(async ({ ada, bob }) => {
      const text = 'Read **the guide** and *then* run `npm test`: https://parley.example/docs.\n```\nconst a = 1;\n  return a;\n```\n[win a prize](javascript:alert(1)) <b>not bold</b>';
      await messageBox(ada).fill(text);
      await messageBox(ada).press('Enter');
      const message = log(bob).getByRole('article').filter({ hasText: 'the guide' });
      await message.locator('strong').getByText('the guide').waitFor();
      expect(await message.locator('em').innerText()).toBe('then');
      expect(await message.locator(':not(pre) > code').innerText()).toBe('npm test');
      expect(await message.locator('pre code').innerText()).toBe('const a = 1;\n  return a;');
      const anchors = message.getByRole('link');
      expect(await anchors.count()).toBe(1);
      expect(await anchors.evaluate((anchor: Element) => [anchor.getAttribute('href'), anchor.getAttribute('rel'), anchor.getAttribute('target'), anchor.textContent])).toEqual([
        'https://parley.example/docs',
        'noopener noreferrer',
        '_blank',
        'https://parley.example/docs',
      ]);
      // The script link and the markup are shown, not run or rendered.
      expect(await message.locator('.text').innerText()).toContain('[win a prize](javascript:alert(1)) <b>not bold</b>');
      expect(await message.locator('b').count()).toBe(0);
      await bob.screenshot({ path: `${ARTIFACTS}/formatted-message.png` });
    });
  });
});

describe('replies, edits, deletions, reactions and typing', () => {
  it('answers with a quote that goes to the original, edits and deletes for everyone, reacts, and shows who types', async () => {
    await inRoomOfTwo(async ({ ada, bob }) => {
      for (const text of ['Who is in for lunch?', 'Friday works too', 'Sorry, wrong chat']) {
        await messageBox(ada).fill(text);
        await messageBox(ada).press('Enter');
      }
      // What a host page hears: the element's events for changes and typing.
      await bob.locator('parley-chat').evaluate((element) => {
        const heard: string[] = [];
        (window as unknown as { heard: string[] }).heard = heard;
        for (const type of ['parley-message-changed', 'parley-typing']) element.addEventListener(type, () => heard.push(type));
      });
      const bobsLog = log(bob);
      await bobsLog.getByRole('article').filter({ hasText: 'Sorry, wrong chat' }).waitFor();
      // Messages by id: texts change and quotes repeat them.
      const questionId = await bobsLog.getByRole('article').filter({ hasText: 'Who is in for lunch?' }).getAttribute('data-id');
      const question = bobsLog.locator(`article[data-id="${questionId}"]`);
      const adasQuestion = log(ada).locator(`article[data-id="${questionId}"]`);

      // Bob starts typing: Ada sees it, and stops seeing it once his reply arrives.
      await question.hover();
      await question.getByRole('button', { name: 'Reply' }).click();
      await bob.locator('parley-chat .composer-mode').getByText('Replying to Ada').waitFor();
      await messageBox(bob).pressSequentially('Me! ');
      await ada.locator('parley-chat .typing').getByText('Bob is typing…').waitFor();
      await ada.screenshot({ path: `${ARTIFACTS}/typing.png` });
      await messageBox(bob).press('Enter');
      const reply = log(ada).getByRole('article').filter({ hasText: 'Me!' });
      await reply.waitFor();
      expect(await ada.locator('parley-chat .typing').innerText()).toBe('');
      // The quote names the original's author and goes to it.
      const quote = reply.getByRole('button', { name: 'Reply to You: go to the message' });
      expect(await quote.innerText()).toContain('Who is in for lunch?');
      await quote.click();
      expect(await adasQuestion.evaluate((article) => article.matches(':focus'))).toBe(true);

      // Ada edits her first message (Arrow up in the empty box edits her last one; here she picks it).
      await adasQuestion.getByRole('button', { name: 'Edit' }).click();
      await messageBox(ada).fill('Who is in for lunch at 12:30?');
      await messageBox(ada).press('Enter');
      await question.getByText('Who is in for lunch at 12:30?').waitFor();
      await question.getByText('edited').waitFor();

      // She deletes the message meant for another chat: one click asks, the second deletes, for both.
      const wrong = log(ada).getByRole('article').filter({ hasText: 'Sorry, wrong chat' });
      await wrong.hover();
      await wrong.getByRole('button', { name: 'Delete' }).click();
      await wrong.getByRole('button', { name: 'Delete for everyone?' }).click();
      await bobsLog.getByRole('article').filter({ hasText: 'Message deleted' }).waitFor();
      expect(await bobsLog.innerText()).not.toContain('Sorry, wrong chat');

      // Both react to the question; the count says who.
      await question.hover();
      await question.getByRole('button', { name: 'React with 👍' }).click();
      await adasQuestion.hover();
      await adasQuestion.getByRole('button', { name: 'React with 👍' }).click();
      const reaction = adasQuestion.locator('.reactions').getByRole('button', { name: '👍 from Bob and You' });
      await reaction.waitFor();
      expect(await reaction.getAttribute('aria-pressed')).toBe('true');
      await question.locator('.reactions').getByRole('button', { name: '👍 from You and Ada' }).waitFor();
      // Ada takes hers back with the chip.
      await reaction.click();
      await question.locator('.reactions').getByRole('button', { name: '👍 from You' }).waitFor();
      await adasQuestion.hover();
      await ada.screenshot({ path: `${ARTIFACTS}/conversation-actions.png` });
      await bob.mouse.move(0, 0);
      await bob.screenshot({ path: `${ARTIFACTS}/conversation-actions-bob.png` });

      // A hostile edit text is text.
      await adasQuestion.getByRole('button', { name: 'Edit' }).click();
      await messageBox(ada).fill(HOSTILE);
      await messageBox(ada).press('Enter');
      await question.getByText(HOSTILE).waitFor();
      expect(await question.locator('img').count()).toBe(0);
      const heard = await bob.evaluate(() => (window as unknown as { heard: string[] }).heard);
      expect(new Set(heard)).toEqual(new Set(['parley-message-changed', 'parley-typing']));
    });
  });
});

describe('notifications and unread messages', () => {
  it('counts unread messages in the title while hidden, notifies with a sound once asked, marks where new messages begin and jumps to the latest', async () => {
    // The tab's visibility is set by the test (a headless tab is always "visible"), and notifications
    // and sounds are recorded: a headless browser has no desktop to show them on.
    const observeAda = async (ada: Page): Promise<void> => {
      await ada.addInitScript(() => {
        const probe = window as unknown as Record<string, unknown>;
        let hidden = false;
        Object.defineProperty(document, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') });
        Object.defineProperty(document, 'hidden', { get: () => hidden });
        probe.setHidden = (value: boolean) => {
          hidden = value;
          document.dispatchEvent(new Event('visibilitychange'));
        };
        const shown: { title: string; body: string | undefined }[] = [];
        class RecordingNotification extends EventTarget {
          static permission: NotificationPermission = 'default';
          static requestPermission(): Promise<NotificationPermission> {
            RecordingNotification.permission = 'granted';
            return Promise.resolve('granted');
          }
          constructor(title: string, options?: NotificationOptions) {
            super();
            shown.push({ title, body: options?.body });
          }
          close(): void {}
        }
        probe.Notification = RecordingNotification;
        probe.notifications = shown;
        let notes = 0;
        const createOscillator = AudioContext.prototype.createOscillator;
        AudioContext.prototype.createOscillator = function (this: AudioContext) {
          notes += 1;
          return createOscillator.call(this);
        };
        probe.notes = () => notes;
      });
    };
    await inRoomOfTwo(async ({ ada, bob }) => {
      const notify = ada.getByRole('button', { name: 'Notify me' });
      // Nothing is asked on load: the permission is still the browser's default.
      expect(await ada.evaluate(() => Notification.permission)).toBe('default');
      await notify.click();
      await ada.getByRole('button', { name: 'Notifications on' }).waitFor();

      await ada.evaluate(() => (window as unknown as { setHidden(hidden: boolean): void }).setHidden(true));
      for (const text of ['Are you there?', 'Lunch is ready']) {
        await messageBox(bob).fill(text);
        await messageBox(bob).press('Enter');
      }
      await log(ada).getByText('Lunch is ready').waitFor();
      await ada.waitForFunction(() => document.title === '(2) Room · Parley');
      expect(await ada.evaluate(() => (window as unknown as { notifications: unknown[] }).notifications)).toEqual([
        { title: 'Bob · Room · Parley', body: 'Are you there?' },
        { title: 'Bob · Room · Parley', body: 'Lunch is ready' },
      ]);
      expect(await ada.evaluate(() => (window as unknown as { notes(): number }).notes())).toBe(4);

      // Back on the tab: read. The line stays above the first message that came while away.
      await ada.evaluate(() => (window as unknown as { setHidden(hidden: boolean): void }).setHidden(false));
      await ada.waitForFunction(() => document.title === 'Room · Parley');
      const line = log(ada).getByRole('separator');
      expect(await line.innerText()).toBe('New messages');
      expect(await line.evaluate((element) => element.nextElementSibling?.textContent ?? '')).toContain('Are you there?');

      // Scrolled up in a long chat, new messages wait below a button that jumps to them.
      await bob.locator('parley-chat').evaluate(async (element) => {
        const chat = element as HTMLElementTagNameMap['parley-chat'];
        for (let index = 1; index <= 30; index += 1) chat.send(`Filler ${index}`);
      });
      await log(ada).getByText('Filler 30').waitFor();
      await log(ada).evaluate((element) => (element.scrollTop = 0));
      await ada.getByRole('button', { name: 'Jump to the latest message' }).waitFor();
      await messageBox(bob).fill('Look at this');
      await messageBox(bob).press('Enter');
      const jump = ada.getByRole('button', { name: '1 new message' });
      await jump.waitFor();
      await ada.waitForFunction(() => document.title === '(1) Room · Parley');
      await ada.screenshot({ path: `${ARTIFACTS}/unread-jump.png` });
      await jump.click();
      await ada.waitForFunction(() => document.title === 'Room · Parley');
      expect(await jump.count()).toBe(0);
      expect(await log(ada).evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight)).toBeLessThan(48);
      // Writing something puts the line away.
      await messageBox(ada).fill('Coming!');
      await messageBox(ada).press('Enter');
      await line.waitFor({ state: 'detached' });
    }, observeAda);
  });
});
