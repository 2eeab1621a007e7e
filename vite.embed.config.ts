// The embeddable element: one self-contained ES module, dist/web/parley-chat.js, for one script tag.
import { defineConfig } from 'vite';
import { sharedBuild, sharedOutput, sharedResolve } from './vite.shared.js';

export default defineConfig({
  resolve: sharedResolve,
  build: {
    ...sharedBuild,
    outDir: 'dist/web',
    emptyOutDir: false,
    lib: { entry: 'web/element/define.ts', formats: ['es'], fileName: () => 'parley-chat.js' },
    rolldownOptions: {
      ...sharedBuild.rolldownOptions,
      // The language files (loaded on demand) take what they share with the element from the
      // script itself: without this, that would be split into a third file the script imports.
      preserveEntrySignatures: 'allow-extension',
      // Vite keeps the whitespace of ES libraries for bundlers that consume them; this one is
      // loaded by browsers as is.
      output: { ...sharedOutput, minify: true, comments: false },
    },
  },
});
