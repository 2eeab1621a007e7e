// The standalone app: web/app/index.html and everything it imports, built into dist/web.
import { defineConfig, type Plugin } from 'vite';
import { sharedBuild, sharedResolve } from './vite.shared.js';
import { SIGNAL_PATH } from './protocol/signaling.js';
import { preconnectScript } from './web/transport/signaling-preconnect.js';

/** Puts the signaling preconnect inline at the top of <head>, ahead of the app's module script. */
function signalingPreconnect(): Plugin {
  return {
    name: 'parley-signaling-preconnect',
    transformIndexHtml: () => [{ tag: 'script', children: preconnectScript(SIGNAL_PATH), injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  root: 'web/app',
  base: './',
  plugins: [signalingPreconnect()],
  resolve: sharedResolve,
  build: { ...sharedBuild, outDir: '../../dist/web', emptyOutDir: true },
});
