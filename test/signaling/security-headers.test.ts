// The security headers of what the server serves over HTTP, read as a browser gets them: the
// app's page under a policy that runs only its own scripts (the inline head start by its hash),
// the embeddable script loadable from other origins, and no headers on the WebSocket upgrade.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineScriptHashes } from '../../signaling/routes/security-headers.js';
import { startServer, type RunningServer } from '../support/server.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

/** The policy's directives by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name = '', ...sources]) => [name, sources]),
  );
}

describe('inlineScriptHashes', () => {
  it('hashes the text of each inline script exactly, and skips scripts with src', () => {
    const html = `<script>alert(1)</script><script type="module" src="./app.js"></script><SCRIPT>\n  two();\n</SCRIPT>`;
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(inlineScriptHashes(html)).toEqual([hash('alert(1)'), hash('\n  two();\n')]);
  });
});

describe('the security headers', () => {
  it("the app's page may run only its own scripts, connect only to its server, and be framed by nobody", async () => {
    const response = await fetch(`${server.origin}/`);
    const html = await response.text();
    const policy = directives(response.headers.get('content-security-policy') ?? '');
    // The one inline script of the built page, hashed here independently of the server.
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(([, body]) => body!);
    expect(inline).toHaveLength(1);
    const inlineHash = `'sha256-${createHash('sha256').update(inline[0]!).digest('base64')}'`;
    expect(policy.get('script-src')).toEqual(["'self'", inlineHash]);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    // Workers: blob: for the page's own (date formats, the OPFS writer), 'self' for the download
    // service worker; frames: only this origin's (the frame that starts a streamed download).
    expect(policy.get('worker-src')).toEqual(["'self'", 'blob:']);
    expect(policy.get('frame-src')).toEqual(["'self'"]);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    // Left to the proxy that terminates TLS; over http://localhost it would mean nothing.
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('the embeddable script may be loaded by pages of any origin', async () => {
    const response = await fetch(`${server.origin}/parley-chat.js`, { headers: { Origin: 'https://site.example' } });
    expect(response.status).toBe(200);
    // Read to the end, so the connection is idle when the server closes.
    expect((await response.text()).length).toBeGreaterThan(0);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
  });

  it('serves the download service worker as a script of this origin, never cached for long', async () => {
    const response = await fetch(`${server.origin}/parley-download-worker.js`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('parley-download');
    expect(response.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    // A service worker's script is checked for updates: it must not be cached as immutable.
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it('/healthz stays same-origin and is not sniffed', async () => {
    const response = await fetch(`${server.origin}/healthz`);
    expect(await response.json()).toMatchObject({ status: 'ok' });
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
