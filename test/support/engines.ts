// One driver for both browser engines, so that a cross-engine test is written once: Debian's
// Chromium over the DevTools protocol and Firefox ESR over WebDriver BiDi, both through
// puppeteer-core (playwright-core cannot drive the stock Firefox; see shared/TESTING.md). Nothing is
// downloaded. A ChatTab drives the Parley app as a person would: it types, presses Enter and reads
// what the page shows; it reaches into the element's (open) shadow root only to read.
import puppeteer, { type Browser, type BrowserContext, type ElementHandle, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';

export type Engine = 'chromium' | 'firefox';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/**
 * Firefox's twins of the Chromium flags: host candidates as real addresses rather than mDNS names
 * resolved over multicast, and nothing fetched from the network by the browser itself.
 */
const FIREFOX_PREFS: Record<string, unknown> = {
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'network.dns.disableIPv6': true,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'app.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'extensions.update.enabled': false,
  // Lets a test read the clipboard back (navigator.clipboard.readText) without a paste prompt.
  'dom.events.testing.asyncClipboard': true,
};

async function launch(engine: Engine, firefoxPrefs: Record<string, unknown>, executablePath: string | undefined, chromiumArgs: readonly string[]): Promise<Browser> {
  if (engine === 'firefox') {
    return puppeteer.launch({ browser: 'firefox', executablePath: executablePath ?? FIREFOX_PATH, headless: true, extraPrefsFirefox: { ...FIREFOX_PREFS, ...firefoxPrefs } });
  }
  // Playwright adds --no-sandbox itself when run as root; puppeteer does not.
  const sandbox = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  // A wrapper (such as one that starts Chromium in a network namespace) is driven over a pipe: a
  // DevTools port would be on the wrapped browser's loopback, which may not be ours.
  const pipe = executablePath !== undefined;
  return puppeteer.launch({ browser: 'chrome', executablePath: executablePath ?? CHROMIUM_PATH, pipe, headless: true, args: [...CHROMIUM_ARGS, ...sandbox, ...chromiumArgs] });
}

/** What a participant's details say of the connection (see ChatTab.connectionOf). */
export interface ConnectionDetails {
  text: string;
  /** local-network, through-nat or relayed, while connected. */
  route?: string;
  /** The selected candidate pair, as its tooltip says ("host ↔ srflx, udp"). */
  candidates?: string;
  /** Why no path was found (a LinkFailure), while not connected. */
  failure?: string;
}

export interface Participant {
  name: string;
  /** What the participants list says of the link: "Connected", "Connecting…", … */
  state: string;
}

/** One browser of one engine for a test file; each tab gets a fresh context (a separate profile). */
export class EngineBrowser {
  readonly #problems: string[] = [];
  readonly #contexts: BrowserContext[] = [];

  private constructor(
    readonly engine: Engine,
    readonly browser: Browser,
  ) {}

  /**
   * `firefoxPrefs` add to (or override) the prefs above, for a test that needs one more;
   * `executablePath` replaces the browser binary (a network lab's wrapper, for one);
   * `chromiumArgs` add to Chromium's command line.
   */
  static async launch(
    engine: Engine,
    { firefoxPrefs = {}, executablePath, chromiumArgs = [] }: { firefoxPrefs?: Record<string, unknown>; executablePath?: string; chromiumArgs?: readonly string[] } = {},
  ): Promise<EngineBrowser> {
    return new EngineBrowser(engine, await launch(engine, firefoxPrefs, executablePath, chromiumArgs));
  }

  async version(): Promise<string> {
    return this.browser.version();
  }

  async openTab(viewport = { width: 1280, height: 800 }): Promise<ChatTab> {
    const context = await this.browser.createBrowserContext();
    this.#contexts.push(context);
    // A window of its own, as each person has: Firefox hides the tabs behind the front one and
    // throttles their timers to about one a second (ten zero-delay timeouts took 8 s).
    const page = await context.newPage({ type: 'window' });
    await page.setViewport(viewport);
    page.on('dialog', (dialog) => {
      this.#problems.push(`${this.engine}: dialog on ${page.url()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('pageerror', (error) => {
      const message = error instanceof Error ? error.message : String(error);
      // Firefox reports a WebSocket that cannot connect (the server is down, as some tests make
      // it) as a script error, although nothing threw; the app's status line says so instead.
      if (this.engine === 'firefox' && /can.t establish a connection to the server at wss?:/.test(message)) return;
      this.#problems.push(`${this.engine}: uncaught error on ${page.url()}: ${message}`);
    });
    return new ChatTab(this.engine, page);
  }

  /** What went wrong on this browser's pages since the last call (uncaught errors, dialogs). */
  takeProblems(): string[] {
    return this.#problems.splice(0);
  }

  async closeTabs(): Promise<void> {
    for (const context of this.#contexts.splice(0)) await context.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.closeTabs();
    await this.browser.close();
  }
}

/** Puppeteer's deep combinator: `>>>` descends into open shadow roots. */
const IN_CHAT = 'parley-chat >>> ';

/** One person's tab with the Parley app. */
export class ChatTab {
  constructor(
    readonly engine: Engine,
    readonly page: Page,
  ) {}

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }

  url(): string {
    return this.page.url();
  }

  async reload(): Promise<void> {
    await this.page.reload();
  }

  /** Opens the landing page and clicks New room; returns the room link. */
  async createRoom(origin: string): Promise<string> {
    await this.page.goto(origin);
    await this.page.locator('#new-room').click();
    await this.#waitFor(async () => this.page.url(), (url) => /#[A-Za-z0-9_-]{22}$/.test(url), 'a room link');
    return this.page.url();
  }

  async setName(name: string): Promise<void> {
    await this.page.locator('#display-name').fill(name);
    await this.page.focus('#display-name');
    await this.page.keyboard.press('Enter');
  }

  /** Clicks "Copy room link" and returns what the clipboard then holds. */
  async copyRoomLink(): Promise<string> {
    if (this.engine === 'chromium') {
      await this.page.browserContext().overridePermissions(new URL(this.page.url()).origin, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
    }
    await this.page.locator('#copy-link').click();
    await this.#waitFor(() => this.page.$eval('#copy-link', (button) => button.textContent ?? ''), (text) => text.startsWith('Link copied'), 'the button to say the link was copied');
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  /**
   * Puts a message in the box as a paste would (an input event; typing ten thousand characters key
   * by key takes minutes over BiDi) and presses Enter, as a person sends one.
   */
  async send(text: string): Promise<void> {
    const box = `${IN_CHAT}textarea[aria-label="Message"]`;
    await this.page.locator(box).click();
    await this.page.$eval(box, (textarea, value) => {
      (textarea as HTMLTextAreaElement).value = value;
      textarea.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste', data: value }));
    }, text);
    await this.page.keyboard.press('Enter');
    // Sent: the box is empty again (a refused message would stay in it).
    await this.#waitFor(
      () => this.page.$eval(box, (textarea) => (textarea as HTMLTextAreaElement).value),
      (value) => value === '',
      `the message box to empty after sending "${text.slice(0, 40)}"`,
    );
  }

  /**
   * The texts of the messages in the log, in order, as the DOM holds them (textContent: Firefox's
   * innerText leaves out bidi controls such as U+202E, which are part of what was sent).
   */
  logTexts(): Promise<string[]> {
    return this.page.evaluate(() => [...(document.querySelector('parley-chat')?.shadowRoot?.querySelectorAll('.log article .text') ?? [])].map((element) => element.textContent ?? ''));
  }

  /** Waits until the log shows exactly these texts, in this order. */
  waitForLog(texts: readonly string[]): Promise<void> {
    return this.#waitFor(
      () => this.logTexts(),
      (shown) => shown.length === texts.length && shown.every((text, index) => text === texts[index]),
      `the log to show ${JSON.stringify(texts, shortStrings)}`,
    );
  }

  /** Waits until the log's last message is this text. */
  waitForLastMessage(text: string): Promise<void> {
    return this.#waitFor(() => this.logTexts(), (shown) => shown.at(-1) === text, `"${text}" to arrive`);
  }

  /** The other people in the participants list (not "You"), with the state of each link. */
  participants(): Promise<Participant[]> {
    return this.page.evaluate(() =>
      [...(document.querySelector('parley-chat')?.shadowRoot?.querySelectorAll<HTMLElement>('button.participant') ?? [])].map((button) => ({
        name: button.querySelector<HTMLElement>('.participant-name bdi')?.innerText ?? '',
        state: button.querySelector<HTMLElement>('.peer-state')?.innerText.trim() ?? '',
      })),
    );
  }

  /** Waits until the participants list shows exactly these people, each connected directly. */
  waitForConnected(names: readonly string[], timeoutMs?: number): Promise<void> {
    return this.#waitFor(
      () => this.participants(),
      (shown) => shown.length === names.length && names.every((name) => shown.some((peer) => peer.name === name && peer.state === 'Connected')),
      `${names.join(', ')} connected`,
      timeoutMs,
    );
  }

  /**
   * What the details of `name` (opened by clicking the name, as a person would) say of the
   * connection: its path ("Direct on the local network · 0.3 ms round trip") or why it failed.
   */
  async connectionOf(name: string): Promise<ConnectionDetails> {
    return this.waitForConnection(name, (details) => details.text !== '', `the details of ${name} to say how the connection goes`);
  }

  /** Waits until the details of `name` say this of the connection (see connectionOf). */
  async waitForConnection(name: string, accept: (details: ConnectionDetails) => boolean, what: string, timeoutMs = 20_000): Promise<ConnectionDetails> {
    let last: ConnectionDetails = { text: '' };
    await this.#waitFor(async () => (last = await this.#readConnection(name)), accept, what, timeoutMs);
    return last;
  }

  /** Opens the details of `name` if they are not open, and reads what they say of the connection. */
  async #readConnection(name: string): Promise<ConnectionDetails> {
    const read = (): Promise<ConnectionDetails & { open: boolean }> =>
      this.page.evaluate((wanted) => {
        const root = document.querySelector('parley-chat')?.shadowRoot;
        const button = [...(root?.querySelectorAll<HTMLElement>('button.participant') ?? [])].find((candidate) => candidate.querySelector('.participant-name bdi')?.textContent === wanted);
        const path = root?.querySelector<HTMLElement>('.peer-details .peer-connection');
        const failure = root?.querySelector<HTMLElement>('.peer-details [data-link-failure]');
        const details: ConnectionDetails & { open: boolean } = { open: button?.getAttribute('aria-expanded') === 'true', text: (path ?? failure)?.innerText.trim() ?? '' };
        if (path?.dataset.route) details.route = path.dataset.route;
        if (path?.title) details.candidates = path.title;
        if (failure?.dataset.linkFailure) details.failure = failure.dataset.linkFailure;
        return details;
      }, name);
    let details = await read();
    if (!details.open) {
      await (await this.#participantButton(name)).click();
      details = await read();
    }
    const { open: _open, ...connection } = details;
    return connection;
  }

  async #participantButton(name: string): Promise<ElementHandle<HTMLElement>> {
    const handle = await this.page.evaluateHandle((wanted) => {
      const root = document.querySelector('parley-chat')?.shadowRoot;
      return [...(root?.querySelectorAll<HTMLElement>('button.participant') ?? [])].find((candidate) => candidate.querySelector('.participant-name bdi')?.textContent === wanted);
    }, name);
    const element = handle.asElement() as ElementHandle<HTMLElement> | null;
    if (!element) throw new Error(`${this.engine}: no participant called ${name} in the list`);
    return element;
  }

  /** The chat's status line. */
  status(): Promise<string> {
    return this.page.evaluate(() => document.querySelector('parley-chat')?.shadowRoot?.querySelector<HTMLElement>('.status')?.innerText.trim() ?? '');
  }

  waitForStatus(pattern: RegExp): Promise<void> {
    return this.#waitFor(() => this.status(), (text) => pattern.test(text), `the status to match ${pattern}`);
  }

  async setViewport(width: number, height: number): Promise<void> {
    await this.page.setViewport({ width, height });
  }

  /**
   * Offers a file of `bytes` made in the page (bytes counting up from `seed`, so both sides know
   * what it holds) through the element, as the attach button does.
   */
  async shareFile(name: string, bytes: number, seed: number): Promise<void> {
    await this.page.evaluate(
      async (fileName, size, start) => {
        const data = new Uint8Array(size);
        for (let index = 0; index < size; index += 1) data[index] = (start + index * 7) & 0xff;
        await document.querySelector('parley-chat')!.shareFiles([new File([data], fileName, { type: 'application/octet-stream' })]);
      },
      name,
      bytes,
      seed,
    );
  }

  /** Presses the file message's action button (Download, Cancel…), found by the file's name and the button's text. */
  async pressFileButton(name: string, label: string): Promise<void> {
    await this.#waitFor(
      () =>
        this.page.evaluate(
          (fileName, buttonLabel) => {
            const files = [...(document.querySelector('parley-chat')?.shadowRoot?.querySelectorAll('.file') ?? [])];
            const file = files.find((element) => element.querySelector('.file-name')?.textContent === fileName);
            const button = [...(file?.querySelectorAll<HTMLButtonElement>('button.file-action') ?? [])].find((element) => element.textContent?.trim() === buttonLabel);
            button?.click();
            return Boolean(button);
          },
          name,
          label,
        ),
      (pressed) => pressed,
      `a "${label}" button on ${name}`,
    );
  }

  /** Waits until the file message says this of its transfer. */
  waitForFileStatus(name: string, status: string, timeoutMs = 60_000): Promise<void> {
    return this.#waitFor(
      () =>
        this.page.evaluate((fileName) => {
          const files = [...(document.querySelector('parley-chat')?.shadowRoot?.querySelectorAll('.file') ?? [])];
          const file = files.find((element) => element.querySelector('.file-name')?.textContent === fileName);
          return [...(file?.querySelectorAll('.file-status') ?? [])].map((element) => element.textContent?.trim() ?? '');
        }, name),
      (shown) => shown.includes(status),
      `"${status}" on ${name}`,
      timeoutMs,
    );
  }

  /** Whether the file this page received under `name` holds exactly the bytes shareFile(…, seed) made. */
  receivedFileMatches(name: string, bytes: number, seed: number): Promise<boolean> {
    return this.page.evaluate(
      async (fileName, size, start) => {
        const chat = document.querySelector('parley-chat')!;
        const message = chat.messages.find((entry) => entry.file?.name === fileName);
        const file = message && chat.fileOf(message.id);
        if (!file || file.size !== size) return false;
        const data = new Uint8Array(await file.arrayBuffer());
        return data.every((value, index) => value === ((start + index * 7) & 0xff));
      },
      name,
      bytes,
      seed,
    );
  }

  async screenshot(path: `${string}.png`): Promise<void> {
    await this.page.screenshot({ path });
  }

  /**
   * Reads the page every few milliseconds until `accept` holds. On a timeout the error says what
   * the page showed last, in which engine.
   */
  async #waitFor<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    for (;;) {
      last = await read();
      if (accept(last)) return;
      if (Date.now() > deadline) throw new Error(`${this.engine}: timed out waiting for ${shorten(what)}; the page shows ${shorten(JSON.stringify(last, shortStrings))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Long strings in an error message, cut to their start and length. */
function shortStrings(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.length > 60 ? `${value.slice(0, 40)}… (${value.length} characters)` : value;
}

function shorten(text: string): string {
  return text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
}
