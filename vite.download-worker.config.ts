// The download service worker (web/files/download-service-worker.ts): one classic script at the
// app's root, dist/web/parley-download-worker.js, which the app registers.
import { defineConfig } from 'vite';
import { sharedBuild } from './vite.shared.js';

export default defineConfig({
  build: {
    ...sharedBuild,
    outDir: 'dist/web',
    emptyOutDir: false,
    lib: { entry: 'web/files/download-service-worker.ts', formats: ['iife'], name: 'parleyDownloadWorker', fileName: () => 'parley-download-worker.js' },
    rolldownOptions: { output: { minify: true, comments: false } },
  },
});
