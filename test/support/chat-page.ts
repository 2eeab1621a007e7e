// Drives the Parley app in Chromium as a person would: role and label locators only. Also
// observes (never replaces) the page's RTCPeerConnections, for tests that break them on purpose.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium, launchChromiumWithProfile } from './browser.js';

/**
 * Runs in every page before its scripts: wraps the browser's own RTCPeerConnection to record the
 * ICE servers it was given, keep a reference to each connection and data channel, and note which
 * connections ever negotiated (the app's WebRTC warm-up makes one that never does).
 */
function observePeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const observed: ObservedPeerConnections = { iceServers: [], connections: [], negotiated: [], channels: [] };
  (window as unknown as { parleyTestObserved: typeof observed }).parleyTestObserved = observed;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      observed.iceServers.push(JSON.parse(JSON.stringify(config?.iceServers ?? null)));
      super(config);
      observed.connections.push(this);
      observed.negotiated.push(false);
      this.addEventListener('datachannel', (event) => observed.channels.push(event.channel));
    }
    override createDataChannel(label: string, options?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, options);
      observed.channels.push(channel);
      return channel;
    }
    override setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
      observed.negotiated[observed.connections.indexOf(this)] = true;
      return super.setLocalDescription(description);
    }
    override setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      observed.negotiated[observed.connections.indexOf(this)] = true;
      return super.setRemoteDescription(description);
    }
  };
}

export interface ObservedPeerConnections {
  iceServers: unknown[];
  connections: RTCPeerConnection[];
  /** Per connection: whether it ever set a description. */
  negotiated: boolean[];
  channels: RTCDataChannel[];
}

/** One Chromium for a test file; each page gets a fresh context (like a separate profile). */
export class BrowserSession {
  /** What went wrong on the pages: uncaught errors, and dialogs (alert, confirm…) they opened. */
  readonly #problems: string[] = [];
  readonly #contexts: BrowserContext[] = [];

  /** Pages opened in a session with a profile: tabs of its one context. */
  readonly #tabs: Page[] = [];

  /** `profile`: the one context of a browser launched with a profile on disk (launchWithProfile). */
  readonly #browser: Browser | undefined;

  private constructor(
    browser: Browser | undefined,
    private readonly profile?: BrowserContext,
  ) {
    this.#browser = browser;
  }

  /** The browser of a session made by launch() (Playwright has none for a profile's context). */
  get browser(): Browser {
    if (!this.#browser) throw new Error('a session with a profile has no Browser object');
    return this.#browser;
  }

  /** Chromium with off-the-record contexts: each page is a stranger to the others. */
  static async launch(): Promise<BrowserSession> {
    return new BrowserSession(await launchChromium());
  }

  /**
   * Chromium with a profile in `profileDirectory`, as a person's browser is: storage (OPFS) goes to
   * disk, where off-the-record contexts keep it in memory. Its pages are tabs of that one profile,
   * so they share storage: fine for pages that each keep their identity in the page (a room's).
   */
  static async launchWithProfile(profileDirectory: string): Promise<BrowserSession> {
    const profile = await launchChromiumWithProfile(profileDirectory);
    await profile.addInitScript(observePeerConnections);
    return new BrowserSession(undefined, profile);
  }

  /** A page in a context of its own (a tab, with a profile); `locale` sets the browser's languages (navigator.languages). */
  async openPage(viewport = { width: 1280, height: 800 }, locale?: string): Promise<Page> {
    let page: Page;
    if (this.profile) {
      if (locale) throw new Error('the languages are the profile’s: launch() for a page in another language');
      page = await this.profile.newPage();
      await page.setViewportSize(viewport);
      this.#tabs.push(page);
    } else {
      const context = await this.browser.newContext({ viewport, ...(locale ? { locale } : {}) });
      await context.addInitScript(observePeerConnections);
      this.#contexts.push(context);
      page = await context.newPage();
    }
    page.on('dialog', (dialog) => {
      this.#problems.push(`dialog on ${page.url()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => this.#problems.push(`uncaught error on ${page.url()}: ${error.message}`));
    return page;
  }

  /**
   * Fails the running test if a page threw or opened a dialog since the last check, and forgets
   * them: called after each test, it blames the test that caused them rather than a later one.
   */
  expectNoProblems(): void {
    const problems = this.#problems.splice(0);
    if (problems.length > 0) throw new Error(`Something went wrong on the pages:\n${problems.join('\n')}`);
  }

  /**
   * For tests whose pages are theirs alone: closes every page opened so far, so that nothing a test
   * left running goes on into the next; then checks for problems, and runs `cleanUp` either way.
   */
  async endTest(cleanUp: () => Promise<void>): Promise<void> {
    await this.closePages();
    try {
      this.expectNoProblems();
    } finally {
      await cleanUp();
    }
  }

  async closePages(): Promise<void> {
    for (const context of this.#contexts.splice(0)) await context.close().catch(() => undefined);
    for (const tab of this.#tabs.splice(0)) await tab.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.closePages();
    await (this.profile ?? this.#browser)?.close();
  }
}

export async function setName(page: Page, name: string): Promise<void> {
  const field = page.getByRole('textbox', { name: 'Your name' });
  await field.fill(name);
  await field.press('Enter');
}

export function messageBox(page: Page): Locator {
  return page.getByRole('textbox', { name: 'Message', exact: true });
}

export function messageLog(page: Page): Locator {
  return page.getByRole('log', { name: 'Messages' });
}

/**
 * The participant row that shows `text` (a name, a state) anywhere but in its identity tag: the
 * tag is random, and a text match ignores case ("#vcY3" would hold "Cy").
 */
export function participant(page: Page, text: string): Locator {
  const outsideTheTag = page.locator(':not(.tag):not(:has(.tag))', { hasText: text });
  return page.getByRole('region', { name: 'Participants' }).getByRole('listitem').filter({ has: outsideTheTag });
}

/** The status line of the chat (the app's own announcer is a status region too). */
export function chatStatus(page: Page, text: string | RegExp): Locator {
  return page.getByRole('status').filter({ hasText: text });
}

export async function sendWithEnter(page: Page, text: string): Promise<void> {
  await messageBox(page).fill(text);
  await messageBox(page).press('Enter');
}

/** The texts of the messages in the log, in order. */
export async function logTexts(page: Page): Promise<string[]> {
  return messageLog(page).getByRole('article').locator('.text').allInnerTexts();
}

/** Opens the landing page and clicks New room; returns the room link. */
export async function createRoom(page: Page, origin: string): Promise<string> {
  await page.goto(origin);
  await page.getByRole('button', { name: 'New room' }).click();
  await page.waitForURL(/#[A-Za-z0-9_-]{22}$/);
  return page.url();
}

/**
 * What a page's connections looked like: the ICE servers and number of those that negotiated, and
 * the states of those that never did (the warm-up).
 */
export async function observed(page: Page): Promise<{ iceServers: unknown[]; connections: number; neverNegotiated: RTCSignalingState[] }> {
  return page.evaluate(() => {
    const o = (window as unknown as { parleyTestObserved: ObservedPeerConnections }).parleyTestObserved;
    const negotiated = o.connections.filter((_, index) => o.negotiated[index]);
    return {
      iceServers: o.iceServers.filter((_, index) => o.negotiated[index]),
      connections: negotiated.length,
      neverNegotiated: o.connections.filter((_, index) => !o.negotiated[index]).map((connection) => connection.signalingState),
    };
  });
}

/**
 * Ada makes a room at `origin` and Bob opens its link; resolves once each shows the other
 * connected. `prepareAda` runs on Ada's page before it loads anything.
 */
export async function twoConnected(
  browser: BrowserSession,
  origin: string,
  prepareAda?: (ada: Page) => Promise<void>,
  prepareBob?: (bob: Page) => Promise<void>,
): Promise<{ ada: Page; bob: Page; link: string }> {
  const ada = await browser.openPage();
  const bob = await browser.openPage();
  await prepareAda?.(ada);
  await prepareBob?.(bob);
  const link = await createRoom(ada, origin);
  await setName(ada, 'Ada');
  await bob.goto(link);
  await setName(bob, 'Bob');
  await participant(ada, 'Bob').filter({ hasText: 'Connected' }).waitFor();
  await participant(bob, 'Ada').filter({ hasText: 'Connected' }).waitFor();
  return { ada, bob, link };
}
