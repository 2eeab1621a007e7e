// The npm package `parley-chat` (web/package/): ES modules for bundlers, in dist/package/dist.
// Lit and valibot stay imports (the package depends on them), so an app that uses Lit itself gets
// one copy. simple-peer is built in, with the same stand-ins as the script tag for its debug
// logging and streamx's text decoder (vite.shared.ts): left to the app's bundler, those two cost
// an app about 9 KiB gzip more. The one-file script at /parley-chat.js is vite.embed.config.ts.
import { defineConfig } from 'vite';
import { sharedResolve } from './vite.shared.js';

const DEPENDENCIES = [/^lit(\/|$)/, /^@lit\//, /^valibot$/];

export default defineConfig({
  resolve: sharedResolve,
  build: {
    target: 'es2022',
    outDir: 'dist/package/dist',
    emptyOutDir: true,
    sourcemap: true,
    // Readable code for the app's own bundler to minify.
    minify: false,
    lib: {
      entry: { index: 'web/package/index.ts', define: 'web/element/define.ts', room: 'web/package/room.ts' },
      formats: ['es'],
    },
    rolldownOptions: { external: DEPENDENCIES },
  },
});
