/**
 * The download service worker: answers a download's URL with a stream of the file's bytes as the
 * page receives them (download-stream-protocol.ts), so a browser without an origin private file
 * system still saves a large file to disk as it arrives instead of holding it in memory.
 *
 * Built as a script of its own (vite.config.ts) at the app's root and registered by the app
 * (web/app/main.ts); a page that embeds the element may serve and register it too. It imports
 * nothing at run time: a service worker script must be one classic script.
 */
import type { DownloadStart, PageToWorker, WorkerToPage } from './download-stream-protocol.js';

/** The parts of the service worker's global scope used here (TypeScript has them only in the WebWorker library). */
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface ExtendableMessageEvent extends ExtendableEvent {
  readonly data: unknown;
  readonly ports: readonly MessagePort[];
}
interface ServiceWorkerScope {
  readonly registration: { readonly scope: string };
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'message', listener: (event: ExtendableMessageEvent) => void): void;
}

const worker = globalThis as unknown as ServiceWorkerScope;

/** Downloads announced by a page and not yet asked for by the browser, by URL. */
const announced = new Map<string, { start: DownloadStart; port: MessagePort }>();

worker.addEventListener('install', (event) => event.waitUntil(worker.skipWaiting()));
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

worker.addEventListener('message', (event) => {
  const start = event.data as Partial<DownloadStart> | undefined;
  const port = event.ports[0];
  if (start?.type !== 'parley-download' || !port || typeof start.url !== 'string' || typeof start.name !== 'string' || typeof start.size !== 'number') return;
  // Only URLs this worker is asked for (its scope's); a page could not open another through it.
  if (!start.url.startsWith(worker.registration.scope)) return;
  announced.set(start.url, { start: start as DownloadStart, port });
  port.postMessage({ type: 'ready' } satisfies WorkerToPage);
});

worker.addEventListener('fetch', (event) => {
  const download = announced.get(event.request.url);
  if (!download) return; // not ours: the browser fetches it as usual
  announced.delete(event.request.url);
  const { start, port } = download;
  let settle: () => void = () => undefined;
  // The worker stays alive while the download streams, however long the transfer pauses.
  event.waitUntil(new Promise<void>((resolve) => (settle = resolve)));
  let wanted: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        port.onmessage = (message: MessageEvent<PageToWorker>) => {
          const data = message.data;
          if (data.type === 'block') {
            controller.enqueue(data.bytes);
            wanted?.();
          } else if (data.type === 'end') {
            controller.close();
            settle();
          } else {
            controller.error(new Error(data.reason));
            settle();
          }
        };
      },
      pull() {
        // Resolved by the block it asks for: the browser asks again only once that came.
        return new Promise<void>((resolve) => {
          wanted = resolve;
          port.postMessage({ type: 'pull' } satisfies WorkerToPage);
        });
      },
      cancel() {
        port.postMessage({ type: 'cancelled' } satisfies WorkerToPage);
        settle();
      },
    },
    { highWaterMark: 1 },
  );
  event.respondWith(
    new Response(body, {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(start.size),
        'Content-Disposition': contentDisposition(start.name),
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      },
    }),
  );
});

/** `attachment` with the name for every browser: RFC 6266's UTF-8 form, and an ASCII stand-in. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
