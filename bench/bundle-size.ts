/** Gzip sizes of the built browser bundles (dist/web), as a browser would download them. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WEB_ROOT } from './paths.js';

function gzipBytes(path: string): number {
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

export function bundleSizes(): { embedGzipBytes: number; appGzipBytes: number } {
  const assets = readdirSync(join(WEB_ROOT, 'assets')).filter((name) => /\.(js|css)$/.test(name));
  const app = gzipBytes(join(WEB_ROOT, 'index.html')) + assets.reduce((sum, name) => sum + gzipBytes(join(WEB_ROOT, 'assets', name)), 0);
  return { embedGzipBytes: gzipBytes(join(WEB_ROOT, 'parley-chat.js')), appGzipBytes: app };
}
