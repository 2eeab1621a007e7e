// Accessibility, as axe-core sees it in the system Chromium: the landing page, a room with three
// people, the phone layout, dark mode and the element embedded in another page have no serious or
// critical violation. What axe reports at lesser impact is printed, not hidden.
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrowserSession, createRoom, participant, sendWithEnter, setName, messageLog } from '../support/chat-page.js';
import { startServer, type RunningServer } from '../support/server.js';

const ARTIFACTS = 'test-results/e2e/accessibility';
const PHONE = { width: 390, height: 844 };

let browser: BrowserSession;
let server: RunningServer;

beforeAll(async () => {
  browser = await BrowserSession.launch();
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterEach(() => browser.endTest(async () => server?.close()));

afterAll(async () => {
  await browser?.close();
});

interface Finding {
  id: string;
  impact: string;
  nodes: string[];
}

/** Runs axe on the page as it is (WCAG 2.x A and AA, and best practices); returns what it found. */
async function audit(page: Page, what: string): Promise<Finding[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  const findings = results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact ?? 'unknown',
    nodes: violation.nodes.slice(0, 3).map((node) => `${node.target.join(' ')}: ${node.failureSummary?.split('\n').slice(1, 2).join('').trim() ?? ''}`),
  }));
  console.log(`[axe] ${what}: ${results.passes.length} rules passed, ${findings.length} violated${findings.map((finding) => `\n  ${finding.impact} ${finding.id} — ${finding.nodes.join(' | ')}`).join('')}`);
  await page.screenshot({ path: `${ARTIFACTS}/${what.replace(/[^a-z0-9]+/gi, '-')}.png` });
  return findings;
}

const serious = (findings: Finding[]): Finding[] => findings.filter((finding) => finding.impact === 'serious' || finding.impact === 'critical');

/** Ada makes a room; Bob and Cy open its link; Bob writes. Returns the three pages. */
async function roomOfThree(viewport?: { width: number; height: number }): Promise<Page[]> {
  const ada = await browser.openPage(viewport);
  const link = await createRoom(ada, server.origin);
  await setName(ada, 'Ada');
  const others: Page[] = [];
  for (const name of ['Bob', 'Cy']) {
    const page = await browser.openPage(viewport);
    await page.goto(link);
    await setName(page, name);
    others.push(page);
  }
  // The whole mesh, not only Ada's links: Bob's first message must reach Cy directly.
  for (const name of ['Bob', 'Cy']) await participant(ada, name).filter({ hasText: 'Connected' }).waitFor();
  await participant(others[0]!, 'Cy').filter({ hasText: 'Connected' }).waitFor();
  await participant(others[1]!, 'Bob').filter({ hasText: 'Connected' }).waitFor();
  await sendWithEnter(others[0]!, 'Hello Ada, hello Cy');
  await messageLog(ada).getByText('Hello Ada, hello Cy').waitFor();
  await sendWithEnter(ada, 'Hi both');
  await messageLog(ada).getByText('Hi both').waitFor();
  // Every kind of message on screen: Cy answers Bob with a quote, Ada reacts, Bob shares a file.
  const [bob, cy] = others as [Page, Page];
  const bobsMessage = (page: Page) => messageLog(page).getByRole('article').filter({ hasText: 'Hello Ada, hello Cy' }).first();
  // A message's actions show while it holds the focus (or the pointer): focus does not move with the layout.
  await bobsMessage(cy).focus();
  await bobsMessage(cy).getByRole('button', { name: 'Reply' }).click();
  await sendWithEnter(cy, 'Hello Bob!');
  await bobsMessage(ada).focus();
  await bobsMessage(ada).getByRole('button', { name: 'React with 👍' }).click();
  await bob.getByLabel('Attach files').setInputFiles([{ name: 'agenda.txt', mimeType: 'text/plain', buffer: Buffer.from('1. Lunch\n2. Plans') }]);
  await messageLog(ada).locator('.file-name', { hasText: 'agenda.txt' }).waitFor();
  await messageLog(ada).getByText('Hello Bob!').waitFor();
  await bobsMessage(ada).locator('.reactions').waitFor();
  // The actions of a message show while it has the focus: they are audited too.
  await bobsMessage(ada).focus();
  return [ada, ...others];
}

interface Focused {
  /** tag, then its accessible name as far as the test can tell */
  what: string;
  /** Whether the focus shows: an outline or a ring (box-shadow) */
  visible: boolean;
}

/** The element that has the keyboard focus, inside shadow roots too. */
async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    let element = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    if (!element || element === document.body) return { what: 'body', visible: false };
    const style = getComputedStyle(element);
    const name = element.getAttribute('aria-label') ?? (element as HTMLInputElement).placeholder ?? '';
    const label = (name || element.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 40);
    return { what: `${element.localName} ${label}`.trim(), visible: (style.outlineStyle !== 'none' && style.outlineWidth !== '0px') || style.boxShadow !== 'none' };
  });
}

describe('keyboard only', () => {
  it('reaches and operates everything with Tab, Enter, Space and Escape, with the focus always visible', async () => {
    server = await startServer();
    const ada = await browser.openPage();
    const link = await createRoom(ada, server.origin);
    await setName(ada, 'Ada');
    const bob = await browser.openPage();
    await bob.goto(link);
    await setName(bob, 'Bob');
    await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor();
    await ada.reload();
    await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor();

    // Tab through the page from the top: every control once, each showing where the focus is.
    const stops: Focused[] = [];
    for (let press = 0; press < 12; press += 1) {
      await ada.keyboard.press('Tab');
      const now = await focused(ada);
      // Past the last control the focus leaves the page (the browser's own UI), and comes back.
      if (now.what === 'body' || stops.some((stop) => stop.what === now.what)) break;
      stops.push(now);
    }
    console.log(`[keyboard] tab order: ${stops.map((stop) => stop.what).join(' → ')}`);
    const reached = stops.map((stop) => stop.what).join('\n');
    for (const control of [/^a Parley home/m, /^input Your name/m, /^button Copy room link/m, /^a Leave/m, /^button .*Bob/m, /^div Messages/m, /^textarea Message/m, /^button Send/m]) {
      expect(reached).toMatch(control);
    }
    expect(stops.filter((stop) => !stop.visible).map((stop) => stop.what)).toEqual([]);

    // Bob's details: Enter opens them, Space marks him verified, Escape closes them and gives the focus back.
    await participant(ada, 'Bob').getByRole('button').focus();
    await ada.keyboard.press('Enter');
    await ada.getByText('Safety code').waitFor();
    await ada.getByRole('button', { name: 'Mark Bob as verified' }).focus();
    await ada.keyboard.press('Space');
    await ada.getByRole('button', { name: /Verified ✓/ }).waitFor();
    await ada.keyboard.press('Escape');
    expect(await ada.getByText('Safety code').count()).toBe(0);
    expect((await focused(ada)).what).toMatch(/^button .*Bob/);

    // Writing: Enter sends, and the focus stays in the message box for the next one.
    await ada.getByRole('textbox', { name: 'Message' }).focus();
    await ada.keyboard.type('Typed without a mouse');
    await ada.keyboard.press('Enter');
    await messageLog(bob).getByText('Typed without a mouse').waitFor();
    expect((await focused(ada)).what).toMatch(/^textarea/);
    await ada.keyboard.type('and again');
    await ada.keyboard.press('Enter');
    await messageLog(bob).getByText('and again').waitFor();

    // A message's actions: the arrow keys move to a message in the log, Tab into its actions.
    await messageLog(ada).focus();
    await ada.keyboard.press('ArrowUp');
    expect((await focused(ada)).what).toMatch(/^article/);
    await ada.keyboard.press('Tab');
    expect((await focused(ada)).what).toMatch(/^button React with 👍/);
    await ada.keyboard.press('Enter');
    await messageLog(bob).getByRole('button', { name: '👍 from Ada' }).waitFor();
    // Reply: the box says to whom; Escape takes it back, and a second time it goes.
    await ada.getByRole('button', { name: 'Reply', exact: true }).focus();
    await ada.keyboard.press('Enter');
    expect((await focused(ada)).what).toMatch(/^textarea/);
    await ada.getByText('Replying to You').waitFor();
    await ada.keyboard.press('Escape');
    expect(await ada.getByText('Replying to You').count()).toBe(0);
    await messageLog(ada).getByRole('article').filter({ hasText: 'and again' }).focus();
    await ada.getByRole('button', { name: 'Reply', exact: true }).focus();
    await ada.keyboard.press('Enter');
    await ada.keyboard.type('Answered by keyboard');
    await ada.keyboard.press('Enter');
    await messageLog(bob).getByRole('article').filter({ hasText: 'Answered by keyboard' }).getByRole('button', { name: 'Reply to Ada: go to the message' }).waitFor();
    // Arrow up in the empty box edits one's last message.
    await ada.keyboard.press('ArrowUp');
    await ada.getByText('Editing your message').waitFor();
    await ada.keyboard.press('End');
    await ada.keyboard.type(', twice');
    await ada.keyboard.press('Enter');
    await messageLog(bob).getByText('Answered by keyboard, twice').waitFor();
    await ada.screenshot({ path: `${ARTIFACTS}/keyboard.png` });
  });

  it('moves nothing on screen: no animation or transition anywhere, so reduced motion has nothing to reduce', async () => {
    server = await startServer();
    const page = await browser.openPage();
    await createRoom(page, server.origin);
    const moving = await page.evaluate(() => {
      const all: Element[] = [];
      const walk = (root: Document | ShadowRoot): void => {
        for (const element of root.querySelectorAll('*')) {
          all.push(element);
          if (element.shadowRoot) walk(element.shadowRoot);
        }
      };
      walk(document);
      return all
        .filter((element) => {
          const style = getComputedStyle(element);
          const durations = `${style.transitionDuration},${style.animationDuration}`.split(',').map((value) => parseFloat(value));
          return durations.some((value) => value > 0) || style.scrollBehavior === 'smooth';
        })
        .map((element) => element.localName);
    });
    expect(moving).toEqual([]);
  });
});

describe('accessibility (axe-core)', () => {
  it('the landing page', async () => {
    server = await startServer();
    const page = await browser.openPage();
    await page.goto(server.origin);
    await page.getByRole('button', { name: 'New room' }).waitFor();
    expect(serious(await audit(page, 'landing'))).toEqual([]);
  });

  it('a room with three people, on a desktop, in dark mode, and with someone’s details open', async () => {
    server = await startServer();
    const [ada] = await roomOfThree();
    expect(serious(await audit(ada!, 'room of three'))).toEqual([]);
    await ada!.screenshot({ path: `${ARTIFACTS}/axe-room.png` });
    await ada!.emulateMedia({ colorScheme: 'dark' });
    expect(serious(await audit(ada!, 'room of three, dark'))).toEqual([]);
    await ada!.screenshot({ path: `${ARTIFACTS}/axe-room-dark.png` });
    await participant(ada!, 'Bob').getByRole('button').click();
    await ada!.getByText('Safety code').waitFor();
    expect(serious(await audit(ada!, 'room of three, dark, details open'))).toEqual([]);
  });

  it('a room with three people on a phone', async () => {
    server = await startServer();
    const [ada] = await roomOfThree(PHONE);
    expect(serious(await audit(ada!, 'room of three, phone'))).toEqual([]);
    await ada!.screenshot({ path: `${ARTIFACTS}/axe-phone.png` });
    await ada!.emulateMedia({ colorScheme: 'dark' });
    expect(serious(await audit(ada!, 'room of three, phone, dark'))).toEqual([]);
    await ada!.screenshot({ path: `${ARTIFACTS}/axe-phone-dark.png` });
  });

  it('the element embedded in another page', async () => {
    server = await startServer({}, (app) =>
      app.get('/embedded.html', (_request, reply) =>
        reply.type('text/html').send(`<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Team page</title><script type="module" src="/parley-chat.js"></script></head>
  <body><main><h1>Our team</h1><parley-chat room="${'Q'.repeat(22)}" name="Ada"></parley-chat></main></body>
</html>`),
      ),
    );
    const page = await browser.openPage();
    await page.goto(`${server.origin}/embedded.html`);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    expect(serious(await audit(page, 'embedded'))).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(serious(await audit(page, 'embedded, dark'))).toEqual([]);
  });
});
