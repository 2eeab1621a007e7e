// The embeddable element: one self-contained ES module, dist/web/parley-chat.js, for one script tag.
import { defineConfig } from 'vite';
import { sharedBuild } from './vite.shared.js';

export default defineConfig({
  build: {
    ...sharedBuild,
    outDir: 'dist/web',
    emptyOutDir: false,
    lib: { entry: 'web/parley-chat.ts', formats: ['es'], fileName: () => 'parley-chat.js' },
  },
});
