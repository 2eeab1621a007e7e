// Files between real Chromium pages over real data channels: offered with a preview, accepted,
// streamed to the receiver's disk (OPFS) and checked against the signed digest; cancelled from
// either side; resumed after the link drops; a gibibyte with every renderer's memory bounded.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, writeFileSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { BrowserSession, messageLog as log, participant, twoConnected, type ObservedPeerConnections } from '../support/chat-page.js';
import { startServer, type RunningServer } from '../support/server.js';
import { samplePeakRendererMemory, type RendererMemoryPeak } from '../support/renderer-memory.js';

const BLOCK_BYTES = 1024 * 1024;
/**
 * How much any renderer (the receiver's, the sender's) may grow while a gibibyte goes through:
 * measured at about 60 MiB here (the 16 MiB window, the blocks on their way to the writer worker,
 * 64 KiB frames waiting for the garbage collector) over pages that hold 110–175 MiB at rest; a
 * page that kept the file would grow by over 1,024 MiB. (Before the worker handed written blocks
 * back for reuse, the garbage blocks took it to 90–150 MiB.)
 */
const RENDERER_GROWTH_BOUND = 128 * 2 ** 20;

const ARTIFACTS = 'test-results/e2e';
/** Markup, and a right-to-left override that makes "gpj.exe" read as "exe.jpg". */
const HOSTILE_NAME = '<img src=x onerror=alert(1)>\u202egpj.exe';
const HOSTILE_NAME_SHOWN = '<img src=x onerror=alert(1)>gpj.exe';

let server: RunningServer;
let browser: BrowserSession;
let scratch: string;

beforeAll(async () => {
  server = await startServer();
  browser = await BrowserSession.launch();
  mkdirSync(ARTIFACTS, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'parley-files-'));
});

afterEach(() => browser.expectNoProblems());

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Ada and Bob in one room, connected. */
async function twoPeople(): Promise<{ ada: Page; bob: Page }> {
  return twoConnected(browser, server.origin);
}

async function closeBoth(pages: { ada: Page; bob: Page }): Promise<void> {
  await pages.ada.context().close();
  await pages.bob.context().close();
}

function attach(page: Page, files: string[] | { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  return page.getByLabel('Attach files').setInputFiles(files);
}

function fileMessage(page: Page, name: string): Locator {
  return log(page).getByRole('article').filter({ has: page.locator('.file-name', { hasText: name }) });
}

/** A file of `bytes` on disk, written a block at a time (never whole in memory): a random block repeated with its index in it. */
function writeLargeFile(path: string, bytes: number): void {
  const block = randomBytes(4 * 1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let offset = 0, index = 0; offset < bytes; offset += block.length, index += 1) {
      block.writeUInt32BE(index, 0);
      writeSync(fd, block, 0, Math.min(block.length, bytes - offset));
    }
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of each 1 MiB block of a file on disk, read a block at a time, base64. */
function blockDigestsOfPath(path: string, size: number): string[] {
  const fd = openSync(path, 'r');
  const digests: string[] = [];
  const buffer = Buffer.alloc(BLOCK_BYTES);
  try {
    for (let offset = 0; offset < size; offset += BLOCK_BYTES) {
      const read = readSync(fd, buffer, 0, Math.min(BLOCK_BYTES, size - offset), offset);
      digests.push(createHash('sha256').update(buffer.subarray(0, read)).digest('base64'));
    }
  } finally {
    closeSync(fd);
  }
  return digests;
}

/**
 * SHA-256 of each 1 MiB block of the file a page offers to save, computed in the page from its
 * stored copy as a stream (never whole in memory), apart from Parley's own check.
 */
function blockDigestsOfSaved(page: Page, name: string): Promise<string[]> {
  return page.locator('parley-chat').evaluate(
    async (element, [fileName, blockBytes]) => {
      const chat = element as HTMLElementTagNameMap['parley-chat'];
      const message = chat.messages.find((entry) => entry.file?.name === fileName)!;
      const reader = chat.fileOf(message.id)!.stream().getReader();
      const digests: string[] = [];
      const block = new Uint8Array(blockBytes);
      let filled = 0;
      const flush = async (): Promise<void> => {
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', block.subarray(0, filled)));
        digests.push(btoa(String.fromCharCode(...digest)));
        filled = 0;
      };
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let at = 0; at < value.byteLength; ) {
          const take = Math.min(blockBytes - filled, value.byteLength - at);
          block.set(value.subarray(at, at + take), filled);
          filled += take;
          at += take;
          if (filled === blockBytes) await flush();
        }
      }
      if (filled > 0) await flush();
      return digests;
    },
    [name, BLOCK_BYTES] as const,
  );
}

/** A 640 × 400 PNG (a gradient), drawn by the page. */
async function pngMadeIn(page: Page): Promise<Buffer> {
  return Buffer.from(
    await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(640, 400);
      const context = canvas.getContext('2d')!;
      const gradient = context.createLinearGradient(0, 0, 640, 400);
      gradient.addColorStop(0, '#4f46e5');
      gradient.addColorStop(1, '#f59e0b');
      context.fillStyle = gradient;
      context.fillRect(0, 0, 640, 400);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      return [...new Uint8Array(await blob.arrayBuffer())];
    }),
  );
}

describe('files', () => {
  it('offers images with a preview and files by name, fetched only when accepted, checked, saved; hostile names are text', async () => {
    const pages = await twoPeople();
    const { ada, bob } = pages;
    try {
      const png = await pngMadeIn(ada);
      await bob.locator('parley-chat').evaluate((element) => {
        const heard: string[] = [];
        (window as unknown as { heard: string[] }).heard = heard;
        element.addEventListener('parley-file-transfer', (event) => heard.push((event as HTMLElementEventMap['parley-file-transfer']).detail.incoming?.state.state ?? ''));
      });
      const report = randomBytes(2 * 1024 * 1024 + 123);
      await attach(ada, [
        { name: 'sunset.png', mimeType: 'image/png', buffer: png },
        { name: HOSTILE_NAME, mimeType: 'application/octet-stream', buffer: report },
      ]);
      // The image comes by itself (it is small), shown in full once it matched its digest.
      const image = fileMessage(bob, 'sunset.png');
      await image.getByText('Received and checked').waitFor({ timeout: 20_000 });
      // The offer carried a small preview the sender made, signed with it.
      const thumb = await bob.locator('parley-chat').evaluate((element) => (element as HTMLElementTagNameMap['parley-chat']).messages.find((entry) => entry.file?.name === 'sunset.png')?.file?.thumb);
      expect(thumb).toMatchObject({ mime: expect.stringMatching(/^image\/(jpeg|webp)$/), width: 320, height: 200 });
      const shown = image.locator('img.file-preview');
      expect(await shown.getAttribute('src')).toMatch(/^blob:/);
      await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
      expect(await shown.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([640, 400]);

      // The other file waits for Bob; its name is text, not markup.
      const hostile = fileMessage(bob, 'gpj.exe');
      await hostile.getByRole('button', { name: 'Download' }).waitFor();
      // The right-to-left override that would show "…exe.jpg" for an .exe is taken out, shown and saved.
      expect(await hostile.locator('.file-name').innerText()).toBe(HOSTILE_NAME_SHOWN);
      expect(await hostile.locator('img').count()).toBe(0);
      expect(await hostile.locator('.file-details').innerText()).toMatch(/^2\.1\s?MB/);
      await bob.screenshot({ path: `${ARTIFACTS}/files-offered.png` });
      await hostile.getByRole('button', { name: 'Download' }).click();
      await hostile.getByText('Received and checked').waitFor({ timeout: 20_000 });
      const save = hostile.getByRole('link', { name: 'Save' });
      expect(await save.getAttribute('download')).toBe(HOSTILE_NAME_SHOWN);
      const bytes = await bob.locator('parley-chat').evaluate(async (element, fileName) => {
        const chat = element as HTMLElementTagNameMap['parley-chat'];
        const message = chat.messages.find((entry) => entry.file?.name === fileName)!;
        return [...new Uint8Array(await chat.fileOf(message.id)!.arrayBuffer())];
      }, HOSTILE_NAME);
      expect(Buffer.from(bytes).equals(report)).toBe(true);
      // Chromium's workers have synchronous access handles: the bytes went to OPFS through the
      // writer worker, not the slower writable stream.
      const workerNames = await Promise.all(bob.workers().map((worker) => worker.evaluate(() => (globalThis as unknown as { name: string }).name)));
      expect(workerNames).toContain('parley-opfs-writer');
      // A host page hears each step.
      expect(await bob.evaluate(() => (window as unknown as { heard: string[] }).heard)).toEqual(expect.arrayContaining(['waiting', 'complete']));
      // Files dropped on the chat or pasted into the message box are offered too.
      await log(bob).evaluate((element) => {
        const data = new DataTransfer();
        data.items.add(new File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }));
        element.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true, composed: true }));
      });
      await bob.getByRole('textbox', { name: 'Message', exact: true }).evaluate((textarea) => {
        const data = new DataTransfer();
        data.items.add(new File(['pasted bytes'], 'pasted.png', { type: 'image/png' }));
        textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true }));
      });
      await fileMessage(ada, 'dropped.txt').getByRole('button', { name: 'Download' }).waitFor();
      // "pasted.png" is no picture at all: fetched as a small image, checked, then not shown broken.
      await fileMessage(ada, 'pasted.png').getByText('Received and checked').waitFor();
      await expect.poll(() => fileMessage(ada, 'pasted.png').locator('img').evaluateAll((images) => images.every((image) => (image as HTMLImageElement).hidden))).toBe(true);
      // Ada sees who has it.
      await fileMessage(ada, 'gpj.exe').getByText('Sent to Bob').waitFor();
      await ada.screenshot({ path: `${ARTIFACTS}/files-sent.png` });
      await bob.screenshot({ path: `${ARTIFACTS}/files-received.png` });
    } finally {
      await closeBoth(pages);
    }
  });

  it('lets a person choose up to what size images come by themselves, remembered on the device', async () => {
    const pages = await twoPeople();
    const { ada, bob } = pages;
    try {
      const png = await pngMadeIn(ada);
      const setting = bob.getByLabel('Download images by themselves');
      expect(await setting.inputValue()).toBe('10000000');
      await setting.selectOption({ label: 'never' });
      await attach(ada, [{ name: 'asked-first.png', mimeType: 'image/png', buffer: png }]);
      // Offered, with its preview, and waiting for Bob.
      await fileMessage(bob, 'asked-first.png').getByRole('button', { name: 'Download' }).waitFor();
      expect(await fileMessage(bob, 'asked-first.png').locator('img.file-preview').getAttribute('src')).toMatch(/^data:image\/(jpeg|webp);base64,/);
      await bob.getByLabel('Download images by themselves').selectOption({ label: 'up to 1 MB' });
      await attach(ada, [{ name: 'by-itself.png', mimeType: 'image/png', buffer: png }]);
      await fileMessage(bob, 'by-itself.png').getByText('Received and checked').waitFor({ timeout: 20_000 });
      expect(await fileMessage(bob, 'asked-first.png').getByRole('button', { name: 'Download' }).count()).toBe(1);
      // The choice is remembered on this device: after a reload it is still there.
      await bob.reload();
      await expect.poll(() => bob.getByLabel('Download images by themselves').inputValue()).toBe('1000000');
    } finally {
      await closeBoth(pages);
    }
  });

  it('cancels from either side: the receiver stops fetching, the sender stops sharing', { timeout: 120_000 }, async () => {
    const pages = await twoPeople();
    const { ada, bob } = pages;
    const path = join(scratch, 'big.bin');
    writeLargeFile(path, 96 * 1024 * 1024);
    try {
      await attach(ada, [path]);
      const offered = fileMessage(bob, 'big.bin');
      await offered.getByRole('button', { name: 'Download' }).click();
      await offered.locator('progress').waitFor({ timeout: 30_000 });
      await offered.getByRole('button', { name: 'Cancel' }).click();
      await offered.getByText('Download cancelled').waitFor();
      // Ada's side hears it: nothing is being sent.
      await fileMessage(ada, 'big.bin').getByText('Offered · nobody has downloaded it yet').waitFor();

      // Bob starts again; Ada stops sharing while it flows.
      await offered.getByRole('button', { name: 'Download' }).click();
      await offered.locator('progress').waitFor({ timeout: 30_000 });
      await fileMessage(ada, 'big.bin').getByRole('button', { name: 'Stop sharing' }).click();
      await offered.getByText('Ada stopped sharing this file').waitFor();
      await fileMessage(ada, 'big.bin').getByText('No longer shared').waitFor();
    } finally {
      await closeBoth(pages);
      rmSync(path, { force: true });
    }
  });

  it('streams a large file into the downloads where the page has no private file system; a cancel in the chat fails the download, and one in the browser cancels the transfer', { timeout: 240_000 }, async () => {
    // Bob's browser gives pages no OPFS (as a Firefox private window does): neither the writer
    // worker nor the writable stream can be used, and a file this large is not kept in memory.
    const pages = await twoConnected(browser, server.origin, undefined, async (bob) => {
      await bob.addInitScript(() => {
        delete (StorageManager.prototype as { getDirectory?: unknown }).getDirectory;
      });
    });
    const { ada, bob } = pages;
    const size = 72 * 1024 * 1024 + 5;
    const path = join(scratch, 'streamed.bin');
    writeLargeFile(path, size);
    try {
      expect(await bob.evaluate(() => 'getDirectory' in navigator.storage)).toBe(false);
      // The app registers the download service worker once the page has loaded.
      await bob.evaluate(async () => {
        while (!(await navigator.serviceWorker.getRegistration('./parley-download/'))?.active) await new Promise((resolve) => setTimeout(resolve, 100));
      });
      await attach(ada, [path]);
      const offered = fileMessage(bob, 'streamed.bin');
      let started = bob.waitForEvent('download', { timeout: 60_000 });
      await offered.getByRole('button', { name: 'Download' }).click();
      let download = await started;
      // The download began while the bytes were still coming: streamed, not put together at the end.
      expect(['waiting', 'receiving']).toContain(await offered.locator('.file').getAttribute('data-state'));
      expect(download.suggestedFilename()).toBe('streamed.bin');
      await offered.getByText('Received and checked: saved to your downloads').waitFor({ timeout: 180_000 });
      expect(blockDigestsOfPath(await download.path(), size)).toEqual(blockDigestsOfPath(path, size));
      // Nothing is kept in the page to save again.
      expect(await offered.getByRole('link', { name: 'Save' }).count()).toBe(0);
      expect(await bob.locator('parley-chat').evaluate((element) => (element as HTMLElementTagNameMap['parley-chat']).fileOf((element as HTMLElementTagNameMap['parley-chat']).messages.at(-1)!.id))).toBeUndefined();
      await bob.screenshot({ path: `${ARTIFACTS}/files-streamed-download.png` });

      // A cancelled transfer fails its download: the browser keeps no partial file as if it were whole.
      await fileMessage(ada, 'streamed.bin').getByRole('button', { name: 'Stop sharing' }).click();
      await attach(ada, [path]);
      const again = fileMessage(bob, 'streamed.bin').last();
      started = bob.waitForEvent('download', { timeout: 60_000 });
      await again.getByRole('button', { name: 'Download' }).click();
      download = await started;
      await again.locator('progress').waitFor({ timeout: 30_000 });
      await again.getByRole('button', { name: 'Cancel' }).click();
      await again.getByText('Download cancelled').waitFor();
      expect(await download.failure()).not.toBeNull();

      // And the other way: a download cancelled in the browser cancels the transfer in the chat.
      await fileMessage(ada, 'streamed.bin').last().getByRole('button', { name: 'Stop sharing' }).click();
      await attach(ada, [path]);
      // The third offer itself (the second, cancelled, has a Download button again).
      const third = fileMessage(bob, 'streamed.bin').nth(2);
      started = bob.waitForEvent('download', { timeout: 60_000 });
      await third.getByRole('button', { name: 'Download' }).click();
      download = await started;
      await third.locator('progress').waitFor({ timeout: 30_000 });
      await download.cancel();
      await third.getByText('Download cancelled').waitFor({ timeout: 30_000 });
    } finally {
      await closeBoth(pages);
      rmSync(path, { force: true });
    }
  });

  it('resumes a transfer cut by a dropped link from where it was, and the file still matches', { timeout: 180_000 }, async () => {
    const pages = await twoPeople();
    const { ada, bob } = pages;
    const size = 128 * 1024 * 1024;
    const path = join(scratch, 'resume.bin');
    writeLargeFile(path, size);
    try {
      await attach(ada, [path]);
      const offered = fileMessage(bob, 'resume.bin');
      await offered.getByRole('button', { name: 'Download' }).click();
      // Bob's network path drops a third of the way through.
      await expect.poll(() => offered.locator('progress').evaluate((bar: HTMLProgressElement) => bar.value / bar.max), { timeout: 60_000, interval: 100 }).toBeGreaterThan(0.3);
      const before = await offered.locator('progress').evaluate((bar: HTMLProgressElement) => bar.value);
      // Every status line Bob's chat shows from now on: the pause lasts only until the link is
      // rebuilt, here often a few tens of milliseconds, shorter than a locator's poll (a CI run
      // missed it), so it is caught as it is rendered.
      await bob.evaluate(() => {
        const root = document.querySelector('parley-chat')!.shadowRoot!;
        const shown: string[] = [];
        (window as unknown as { parleyTestShownStatuses: string[] }).parleyTestShownStatuses = shown;
        new MutationObserver(() => {
          const text = root.querySelector('.file-status')?.textContent ?? '';
          if (shown.at(-1) !== text) shown.push(text);
        }).observe(root, { subtree: true, childList: true, characterData: true });
        for (const connection of (window as unknown as { parleyTestObserved: ObservedPeerConnections }).parleyTestObserved.connections) connection.close();
      });
      await expect
        .poll(() => bob.evaluate(() => (window as unknown as { parleyTestShownStatuses: string[] }).parleyTestShownStatuses), { timeout: 15_000 })
        .toContain('Paused · goes on when Ada is back');
      // From the drop to the end, the progress never goes back further than the unconfirmed bytes
      // (at most the 16 MiB window and the block being filled): it went on, it did not start over.
      let lowest = Infinity;
      await expect
        .poll(
          async () => {
            const value = await offered.locator('progress').evaluate((bar: HTMLProgressElement) => bar.value).catch(() => undefined);
            if (value !== undefined) lowest = Math.min(lowest, value);
            return offered.getByText('Received and checked').count();
          },
          { timeout: 120_000, interval: 100 },
        )
        .toBe(1)
        .catch(async (error: unknown) => {
          // One run in about seventy stayed paused for good: say whether the link came back.
          const shown = await bob.evaluate(() => (window as unknown as { parleyTestShownStatuses: string[] }).parleyTestShownStatuses.slice(-3));
          const links = await Promise.all([ada, bob].map((page) => page.evaluate(() => (window as unknown as { parleyTestObserved: ObservedPeerConnections }).parleyTestObserved.connections.map((connection) => connection.connectionState))));
          const rows = await Promise.all([participant(bob, 'Ada'), participant(ada, 'Bob')].map((row) => row.textContent({ timeout: 1000 }).catch(() => 'not listed')));
          throw new Error(`${String(error)}\nBob's last statuses: ${JSON.stringify(shown)}; connections Ada ${JSON.stringify(links[0])}, Bob ${JSON.stringify(links[1])}; Bob's row for Ada: ${rows[0]?.replace(/\s+/g, ' ')}; Ada's row for Bob: ${rows[1]?.replace(/\s+/g, ' ')}`);
        });
      expect(lowest).toBeGreaterThanOrEqual(before - 17 * BLOCK_BYTES);
      expect(await blockDigestsOfSaved(bob, 'resume.bin')).toEqual(blockDigestsOfPath(path, size));
    } finally {
      await closeBoth(pages);
      rmSync(path, { force: true });
    }
  });

  it('moves a gibibyte with every renderer’s memory bounded, and the copy matches block for block', { timeout: 900_000 }, async () => {
    // A person's browser keeps OPFS on disk, in its profile; an off-the-record context would keep
    // the whole gibibyte in the browser process's memory.
    const person = await BrowserSession.launchWithProfile(join(scratch, 'profile'));
    const pages = await twoConnected(person, server.origin);
    const { ada, bob } = pages;
    const size = 1024 ** 3;
    const path = join(scratch, 'gibibyte.bin');
    writeLargeFile(path, size);
    try {
      await attach(ada, [path]);
      const offered = fileMessage(bob, 'gibibyte.bin');
      await offered.getByRole('button', { name: 'Download' }).waitFor({ timeout: 300_000 });
      const sampler = samplePeakRendererMemory();
      const started = performance.now();
      let memory: RendererMemoryPeak;
      try {
        await offered.getByRole('button', { name: 'Download' }).click();
        await offered.getByText('Received and checked').waitFor({ timeout: 800_000 });
      } finally {
        memory = sampler.stop();
      }
      const seconds = (performance.now() - started) / 1000;
      const figures = {
        bytes: size,
        seconds: Math.round(seconds * 10) / 10,
        mebibytesPerSecond: Math.round((size / 2 ** 20 / seconds) * 10) / 10,
        renderersBeforeMiB: memory.beforeBytes.map((bytes) => Math.round(bytes / 2 ** 20)),
        peakRendererMiB: Math.round(memory.peakBytes / 2 ** 20),
        largestGrowthMiB: Math.round(memory.growthBytes / 2 ** 20),
        growthBoundMiB: RENDERER_GROWTH_BOUND / 2 ** 20,
      };
      console.log(`[files] 1 GiB: ${JSON.stringify(figures)}`);
      writeFileSync(`${ARTIFACTS}/file-transfer-1gib.json`, JSON.stringify(figures, null, 2));
      // No renderer (the receiver's, the sender's) held anything like the file.
      expect(memory.growthBytes).toBeLessThan(RENDERER_GROWTH_BOUND);
      expect(await blockDigestsOfSaved(bob, 'gibibyte.bin')).toEqual(blockDigestsOfPath(path, size));
      person.expectNoProblems();
    } finally {
      await person.close();
      rmSync(path, { force: true });
    }
  });
});
