/**
 * The security headers of everything served over HTTP (the app, the embeddable script, /healthz):
 * a Content-Security-Policy that lets the app's page run only its own scripts (the one inline
 * script by its hash), connect only to this server, and be framed by nobody; nosniff; no referrer.
 * A script injected into the page would read the room key from the address: the policy is what
 * stops one from running, or from sending anything anywhere.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyHelmetOptions } from '@fastify/helmet';

/** Scripts written inline in an HTML page (those without `src`), as CSP hash sources. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const [, attributes = '', body = ''] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\bsrc\s*=/i.test(attributes)) continue;
    hashes.push(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/** The inline scripts of the built app's page, read once at start (none if it is not built). */
function appInlineScriptHashes(webRoot: string): string[] {
  try {
    return inlineScriptHashes(readFileSync(join(webRoot, 'index.html'), 'utf8'));
  } catch {
    return [];
  }
}

export function securityHeaderOptions(webRoot: string): FastifyHelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'", ...appInlineScriptHashes(webRoot)],
        // Lit adopts constructed style sheets, which style-src does not govern; styles set from
        // script go through the CSSOM, which it does not either.
        styleSrc: ["'self'"],
        // data: for the previews inside file offers, blob: for a received image once it is checked.
        imgSrc: ["'self'", 'data:', 'blob:'],
        // 'self' covers ws: and wss: to this host: the signaling socket.
        connectSrc: ["'self'"],
        // The short-lived worker that loads date formats (web/element/message-time.ts), the one
        // that writes received files to OPFS (web/files/opfs-writer-worker.ts), and the service
        // worker that streams a large file into the downloads where there is no OPFS
        // (web/files/download-service-worker.ts, a file of this origin).
        workerSrc: ["'self'", 'blob:'],
        // The hidden frame that starts such a download (web/files/download-sink.ts): the service
        // worker answers it, nothing else loads there.
        frameSrc: ["'self'"],
        manifestSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // The embeddable script and its assets are loaded by pages on other origins: the static route
    // allows that for its files (web-app.ts). Anything else stays same-origin.
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // Strict-Transport-Security belongs to whoever terminates TLS (the reverse proxy), and over the
    // plain http:// of localhost it means nothing.
    strictTransportSecurity: false,
  };
}
