/**
 * The download service worker: answers a download's URL with a stream of the file's bytes as the
 * page receives them (download-stream-protocol.ts), so a browser without an origin private file
 * system still saves a large file to disk as it arrives instead of holding it in memory.
 *
 * Built as a script of its own (vite.download-worker.config.ts) at the app's root and registered
 * by the app (web/app/main.ts); a page that embeds the element may serve and register it too. Its
 * imports are bundled into it: a service worker script must be one classic script.
 */
import { contentDisposition, type DownloadKeepAlive, type DownloadStart, type PageToWorker, type WorkerToPage } from './download-stream-protocol.js';

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

/** A download announced by a page, with the header it will be saved under. */
interface Announced {
  start: DownloadStart;
  port: MessagePort;
  disposition: string;
}

/** Downloads announced by a page and not yet asked for by the browser, by URL. */
const announced = new Map<string, Announced>();
/** The ports of the downloads this worker streams now, by URL: each keep-alive is answered on its own. */
const streaming = new Map<string, MessagePort>();

worker.addEventListener('install', (event) => event.waitUntil(worker.skipWaiting()));
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

worker.addEventListener('message', (event) => {
  const message = event.data as Partial<DownloadStart> | Partial<DownloadKeepAlive> | undefined;
  // A page whose download runs: the event itself keeps this worker alive a while longer, and the
  // answer tells the page that this worker still has the download.
  if (message?.type === 'parley-download-keepalive') {
    if (typeof message.url === 'string') streaming.get(message.url)?.postMessage({ type: 'alive' } satisfies WorkerToPage);
    return;
  }
  const start = message as Partial<DownloadStart> | undefined;
  const port = event.ports[0];
  if (start?.type !== 'parley-download' || !port || typeof start.url !== 'string' || typeof start.name !== 'string' || typeof start.size !== 'number') return;
  // Only URLs this worker is asked for (its scope's); a page could not open another through it.
  if (!start.url.startsWith(worker.registration.scope)) return;
  let disposition: string;
  try {
    disposition = contentDisposition(start.name);
  } catch {
    return; // a name no header can carry: the page hears nothing, and keeps the file another way
  }
  const url = start.url;
  announced.set(url, { start: start as DownloadStart, port, disposition });
  // Given up before the browser asked for it (it never did): forgotten.
  port.onmessage = () => {
    announced.delete(url);
    port.close();
  };
  port.postMessage({ type: 'ready' } satisfies WorkerToPage);
});

worker.addEventListener('fetch', (event) => {
  const download = announced.get(event.request.url);
  if (!download) return; // not ours: the browser fetches it as usual
  announced.delete(event.request.url);
  const { start, port, disposition } = download;
  let settle: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (settle = resolve));
  // The download's events stay open while it streams (the page's keep-alive messages stop the
  // browser from stopping this worker in its pauses).
  event.waitUntil(done);
  const url = event.request.url;
  streaming.set(url, port);
  void done.then(() => {
    streaming.delete(url);
    port.close();
  });
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
  port.postMessage({ type: 'started' } satisfies WorkerToPage);
  event.respondWith(
    new Response(body, {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(start.size),
        'Content-Disposition': disposition,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      },
    }),
  );
});
