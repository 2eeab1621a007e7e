// Every browser in the same room: the same scenarios, written once (support/engines.ts), run in a
// Firefox-only room and in mixed rooms of Chromium and Firefox, against the real server. The
// Chromium-only suites (chat, resilience, attacks, embedding) stay on Playwright; what only a mixed
// room can break is the meeting of two WebRTC stacks: offers made by one engine and answered by the
// other (both directions are here: Firefox offers to the Chromium that made the room, and a
// Chromium newcomer offers to Firefox), candidates, SCTP message sizes and DTLS roles.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineBrowser, type ChatTab, type Engine } from '../support/engines.js';
import { startServer, type RunningServer } from '../support/server.js';

const ARTIFACTS = 'test-results/e2e/engines';

const browsers = new Map<Engine, EngineBrowser>();
const measurements: Record<string, unknown> = {};

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const engine of ['chromium', 'firefox'] as const) browsers.set(engine, await EngineBrowser.launch(engine));
  measurements.versions = Object.fromEntries(await Promise.all([...browsers].map(async ([engine, browser]) => [engine, await browser.version()])));
});

afterAll(async () => {
  for (const browser of browsers.values()) await browser.close();
  writeFileSync(`${ARTIFACTS}/measurements.json`, JSON.stringify(measurements, null, 2));
});

// Tabs live on through a room's steps, so a problem is blamed on the step during which it happened.
afterEach(() => {
  const problems = [...browsers.values()].flatMap((browser) => browser.takeProblems());
  expect(problems).toEqual([]);
});

const HOSTILE = [
  '<script>alert("xss")</script>',
  '<img src=x onerror="alert(document.cookie)">',
  '"><svg/onload=alert(1)>',
  '\u202Egnirts desrever a si siht\u202C and this is after it',
  'مرحبا بالجميع، هذا نص عربي',
  '👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇺🇦 🧑🏿‍💻',
  'x'.repeat(10 * 1024),
  'line one\nline two\n\n\nline five',
];

interface RoomPlan {
  title: string;
  /** Engines of Ada (who makes the room), Bob (who opens the link), Cy (late) and Dee (after a restart). */
  engines: [Engine, Engine, Engine, Engine];
}

const PLANS: RoomPlan[] = [
  { title: 'a Firefox-only room', engines: ['firefox', 'firefox', 'firefox', 'firefox'] },
  { title: 'a mixed room made in Chromium', engines: ['chromium', 'firefox', 'chromium', 'firefox'] },
];

for (const { title, engines: [adaEngine, bobEngine, cyEngine, deeEngine] } of PLANS) {
  describe(title, () => {
    const slug = title.replaceAll(' ', '-');
    let server: RunningServer;
    let link = '';
    let ada: ChatTab;
    let bob: ChatTab;
    let cy: ChatTab;
    let dee: ChatTab;
    const history: string[] = [];
    const tab = (engine: Engine, viewport?: { width: number; height: number }): Promise<ChatTab> => browsers.get(engine)!.openTab(viewport);

    beforeAll(async () => {
      server = await startServer();
    });

    afterAll(async () => {
      for (const browser of browsers.values()) await browser.closeTabs();
      await server?.close();
    });

    it(`Ada (${adaEngine}) makes the room, Bob (${bobEngine}) opens the link, and both chat both ways`, async () => {
      const started = performance.now();
      ada = await tab(adaEngine);
      await ada.goto(server.origin);
      await ada.screenshot(`${ARTIFACTS}/${slug}-landing-${adaEngine}-desktop.png`);
      await ada.setViewport(390, 760);
      await ada.screenshot(`${ARTIFACTS}/${slug}-landing-${adaEngine}-phone.png`);
      await ada.setViewport(1280, 800);
      link = await ada.createRoom(server.origin);
      console.log(`[timing] ${title}: a new tab in ${adaEngine} to a room link: ${Math.round(performance.now() - started)} ms`);
      expect(link.startsWith(`${server.origin}/#`)).toBe(true);
      await ada.setName('Ada');
      await ada.waitForStatus(/Connected/);
      expect(await ada.copyRoomLink()).toBe(link);
      console.log(`[timing] ${title}: … to Ada connected to the server: ${Math.round(performance.now() - started)} ms`);

      bob = await tab(bobEngine);
      const opened = performance.now();
      await bob.goto(link);
      await bob.setName('Bob');
      await bob.waitForConnected(['Ada']);
      await bob.send('Hello from Bob');
      await ada.waitForLastMessage('Hello from Bob');
      const linkToFirstMessageMs = Math.round(performance.now() - opened);
      await ada.waitForConnected(['Bob']);
      await ada.send('Hello from Ada');
      await bob.waitForLastMessage('Hello from Ada');
      history.push('Hello from Bob', 'Hello from Ada');
      for (const person of [ada, bob]) await person.waitForLog(history);
      // Two browsers on one machine, no STUN: each reached the other at its own address.
      for (const [person, other] of [[ada, 'Bob'], [bob, 'Ada']] as const) {
        const connection = await person.connectionOf(other);
        console.log(`[connection] ${title}: ${person.engine} about ${other}: ${connection.text}`);
        expect(connection.route).toBe('local-network');
        expect(connection.text).toMatch(/^Direct on the local network( · [\d.]+\sms round trip)?$/);
      }

      measurements[`${slug}: link opened → first message (ms)`] = linkToFirstMessageMs;
      console.log(`[timing] ${title}: link opened in ${bobEngine} → its first message shown in ${adaEngine}: ${linkToFirstMessageMs} ms`);
    });

    it(`Cy (${cyEngine}) joins late, sees the conversation so far in order, and reaches both`, async () => {
      cy = await tab(cyEngine);
      await cy.goto(link);
      await cy.setName('Cy');
      await cy.waitForConnected(['Ada', 'Bob']);
      await cy.waitForLog(history);
      await cy.send('Cy here');
      history.push('Cy here');
      for (const person of [ada, bob, cy]) await person.waitForLog(history);
      await ada.waitForConnected(['Bob', 'Cy']);
      await bob.waitForConnected(['Ada', 'Cy']);
    });

    it('shows hostile text as text in every engine, and the layout holds at desktop and phone widths', async () => {
      for (const text of HOSTILE) await bob.send(text);
      history.push(...HOSTILE);
      for (const person of [ada, bob, cy]) {
        await person.waitForLog(history);
        const page = await person.page.evaluate(() => {
          const root = document.querySelector('parley-chat')!.shadowRoot!;
          const log = root.querySelector('.log')!.getBoundingClientRect();
          return {
            injected: root.querySelectorAll('.log script, .log img, .log svg').length,
            wider: [...root.querySelectorAll('.message')].filter((message) => {
              const box = message.getBoundingClientRect();
              return box.left < log.left - 1 || box.right > log.right + 1;
            }).length,
            scrollsSideways: document.documentElement.scrollWidth > document.documentElement.clientWidth,
          };
        });
        expect(page, `${person.engine}`).toEqual({ injected: 0, wider: 0, scrollsSideways: false });
      }
      for (const [name, person] of [['ada', ada], ['bob', bob]] as const) {
        await person.screenshot(`${ARTIFACTS}/${slug}-${name}-${person.engine}-desktop.png`);
        await person.setViewport(390, 760);
        await person.screenshot(`${ARTIFACTS}/${slug}-${name}-${person.engine}-phone.png`);
        const phone = await person.page.evaluate(() => {
          const strip = document.querySelector('parley-chat')!.shadowRoot!.querySelector<HTMLElement>('.participants ul')!;
          return {
            scrollsSideways: document.documentElement.scrollWidth > document.documentElement.clientWidth,
            // The strip of people scrolls sideways; where scrollbars take room (Firefox), its
            // scrollbar is a thin one (6 px here), not a full track (12 px) under the strip.
            stripScrollbarPx: strip.offsetHeight - strip.clientHeight,
          };
        });
        console.log(`[layout] ${person.engine} at phone width: the strip's scrollbar takes ${phone.stripScrollbarPx} px`);
        expect(phone.scrollsSideways, `${person.engine} at phone width`).toBe(false);
        expect(phone.stripScrollbarPx, `${person.engine}: the strip's scrollbar`).toBeLessThanOrEqual(10);
        await person.setViewport(1280, 800);
      }
    });

    it(`a reload: Bob (${bobEngine}) comes back as the same person, with the conversation, and no ghost is left`, async () => {
      await bob.reload();
      await bob.waitForConnected(['Ada', 'Cy']);
      await bob.waitForLog(history);
      // The others still list one Bob, connected again.
      await ada.waitForConnected(['Bob', 'Cy']);
      await cy.waitForConnected(['Ada', 'Bob']);
      await bob.send('Back after a reload');
      history.push('Back after a reload');
      for (const person of [ada, bob, cy]) await person.waitForLog(history);
    });

    it(`the signaling server restarts: chat goes on directly, everyone rejoins, and Dee (${deeEngine}) reaches all`, async () => {
      const port = server.port;
      await server.close();
      for (const person of [ada, bob, cy]) await person.waitForStatus(/unreachable/);
      await ada.send('The server is down');
      await cy.send('And we still talk');
      history.push('The server is down', 'And we still talk');
      for (const person of [ada, bob, cy]) await person.waitForLog(history);

      server = await startServer({ port });
      for (const person of [ada, bob, cy]) await person.waitForStatus(/^Connected/);
      dee = await tab(deeEngine);
      await dee.goto(link);
      await dee.setName('Dee');
      await dee.waitForConnected(['Ada', 'Bob', 'Cy']);
      await dee.waitForLog(history);
      await dee.send('Dee after the restart');
      history.push('Dee after the restart');
      for (const person of [ada, bob, cy, dee]) await person.waitForLog(history);
    });

    it(`a file both ways: Bob (${bobEngine}) to Ada (${adaEngine}) and back, streamed to disk and checked`, async () => {
      const size = 6 * 1024 * 1024 + 5;
      await bob.shareFile('from-bob.bin', size, 3);
      await ada.pressFileButton('from-bob.bin', 'Download');
      await ada.waitForFileStatus('from-bob.bin', 'Received and checked');
      expect(await ada.receivedFileMatches('from-bob.bin', size, 3)).toBe(true);
      await bob.waitForFileStatus('from-bob.bin', 'Sent to Ada');
      await ada.shareFile('from-ada.bin', size, 11);
      await bob.pressFileButton('from-ada.bin', 'Download');
      await bob.waitForFileStatus('from-ada.bin', 'Received and checked');
      expect(await bob.receivedFileMatches('from-ada.bin', size, 11)).toBe(true);
      await bob.screenshot(`${ARTIFACTS}/${slug}-file-${bobEngine}.png`);
    });

    it(`bursts past the writer's backpressure mark, from Bob (${bobEngine}) and then from Ada (${adaEngine}): every message arrives once, in order`, async () => {
      // 200 messages of the longest text (16,000 two-byte characters): about 6.4 MB, past the
      // 4 MiB at which Parley's channel writer waits for a channel to drain. One sender at a time:
      // see docs/browsers.md for what two at once between the same pair cost.
      const BURST = 200;
      for (const [sender, tag] of [
        [bob, 'B'],
        [ada, 'A'],
      ] as const) {
        const started = performance.now();
        await sender.page.evaluate(
          (prefix: string, count: number) => {
            const chat = document.querySelector('parley-chat')!;
            for (let index = 0; index < count; index += 1) chat.send(`${prefix}${index}:`.padEnd(16_000, 'é'));
          },
          tag,
          BURST,
        );
        const expected = Array.from({ length: BURST }, (_, index) => `${tag}${index}`);
        for (const person of [ada, bob, cy, dee]) {
          await expect
            .poll(
              () =>
                person.page.evaluate(
                  (pattern: string) =>
                    document
                      .querySelector('parley-chat')!
                      .messages.map((message) => message.text.split(':')[0]!)
                      .filter((prefix) => new RegExp(pattern).test(prefix)),
                  `^${tag}\\d+$`,
                ),
              { timeout: 60_000, interval: 500 },
            )
            .toEqual(expected);
        }
        const seconds = (performance.now() - started) / 1000;
        measurements[`${slug}: burst of ${BURST} × 16,000 characters from ${sender.engine}, all received (s)`] = Math.round(seconds * 10) / 10;
        console.log(`[timing] ${title}: ${BURST} messages of 16,000 characters from ${sender.engine} reached all three others in ${seconds.toFixed(1)} s`);
      }
    }, 180_000);
  });
}

/** How the file at `path` compares with the bytes ChatTab.shareFile(…, seed) made, read a MiB at a time. */
function fileOnDisk(path: string, size: number, seed: number): string {
  const found = statSync(path).size;
  if (found !== size) return `${found} bytes of ${size}`;
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(1024 * 1024);
  try {
    for (let offset = 0; offset < size; ) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - offset), offset);
      for (let index = 0; index < read; index += 1) if (buffer[index] !== ((seed + (offset + index) * 7) & 0xff)) return `different from byte ${offset + index} on`;
      offset += read;
    }
    return 'the same bytes';
  } finally {
    closeSync(fd);
  }
}

describe('a Firefox private window, which gives pages no private file system', () => {
  it('gets a large file from Chromium streamed into its downloads as it arrives, its worker kept alive, and the download holds the bytes', { timeout: 300_000 }, async () => {
    const downloads = mkdtempSync(join(tmpdir(), 'parley-private-downloads-'));
    // Downloads go to that folder without asking, as a person's would go to theirs.
    const privateFirefox = await EngineBrowser.launch('firefox', {
      firefoxPrefs: {
        'browser.privatebrowsing.autostart': true,
        'browser.download.folderList': 2,
        'browser.download.dir': downloads,
        'browser.download.useDownloadDir': true,
        'browser.download.always_ask_before_handling_new_types': false,
        'browser.helperApps.neverAsk.saveToDisk': 'application/octet-stream',
        // A service worker with no event for 10 s is stopped (30 s and 5 min unless told): the
        // page's keep-alive must hold the download's worker for the whole transfer.
        'dom.serviceWorkers.idle_timeout': 4_000,
        'dom.serviceWorkers.idle_extended_timeout': 6_000,
      },
    });
    const server = await startServer();
    const size = 72 * 1024 * 1024 + 5;
    try {
      const ada = await browsers.get('chromium')!.openTab();
      const link = await ada.createRoom(server.origin);
      await ada.setName('Ada');
      const bob = await privateFirefox.openTab();
      await bob.goto(link);
      await bob.setName('Bob');
      await ada.waitForConnected(['Bob']);
      await bob.waitForConnected(['Ada']);
      // What makes this window different: OPFS is refused. The app's download worker is there.
      expect(await bob.page.evaluate(() => navigator.storage.getDirectory().then(() => 'allowed', (error: Error) => error.name))).toBe('SecurityError');
      await bob.page.evaluate(async () => {
        while (!(await navigator.serviceWorker.getRegistration('./parley-download/'))?.active) await new Promise((resolve) => setTimeout(resolve, 100));
      });

      // What the worker says on the download's port, heard beside the page's own listener.
      await bob.page.evaluate(() => {
        const heard: unknown[] = [];
        (window as unknown as { parleyTestWorkerSaid: unknown[] }).parleyTestWorkerSaid = heard;
        window.MessageChannel = class extends MessageChannel {
          constructor() {
            super();
            this.port1.addEventListener('message', (event: MessageEvent<{ type?: unknown }>) => heard.push(event.data?.type));
          }
        };
      });

      await ada.shareFile('private.bin', size, 5);
      await bob.pressFileButton('private.bin', 'Download');
      await bob.waitForFileStatus('private.bin', 'Received and checked: saved to your downloads', 240_000);
      await ada.waitForFileStatus('private.bin', 'Sent to Bob');
      // The worker that streams the download answered the keep-alives on its port: a page whose
      // worker was stopped hears nothing, and fails the transfer instead of waiting for ever.
      const said = await bob.page.evaluate(() => (window as unknown as { parleyTestWorkerSaid: unknown[] }).parleyTestWorkerSaid);
      expect(said).toContain('alive');
      const saved = join(downloads, 'private.bin');
      const deadline = Date.now() + 30_000;
      // The browser renames its partial file once the stream has ended.
      while (!(existsSync(saved) && statSync(saved).size === size) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      expect(readdirSync(downloads)).toEqual(['private.bin']);
      expect(fileOnDisk(saved, size, 5)).toBe('the same bytes');
      await bob.screenshot(`${ARTIFACTS}/private-window-download.png`);
      expect(privateFirefox.takeProblems()).toEqual([]);
    } finally {
      await privateFirefox.close();
      await browsers.get('chromium')!.closeTabs();
      await server.close();
      rmSync(downloads, { recursive: true, force: true });
    }
  });
});
