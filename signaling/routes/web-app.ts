/** Serves the built web app (index.html, the embeddable parley-chat.js, assets) at `/`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export async function webAppRoute(app: FastifyInstance, { webRoot }: { webRoot: string }): Promise<void> {
  if (!existsSync(join(webRoot, 'index.html'))) {
    app.log.warn({ webRoot }, 'web app not built: run `npm run build` to serve the chat at /');
  }
  await app.register(fastifyStatic, {
    root: webRoot,
    setHeaders(response, path) {
      // The embeddable script and its assets are loaded by pages on other origins: a module
      // <script> from another origin is a CORS request, and the resource policy must allow it.
      response.header('Access-Control-Allow-Origin', '*');
      response.header('Cross-Origin-Resource-Policy', 'cross-origin');
      if (path.includes('/assets/')) response.header('Cache-Control', 'public, max-age=31536000, immutable');
      else response.header('Cache-Control', 'no-cache');
    },
  });
}
