// The standalone app: web/index.html and everything it imports, built into dist/web.
import { defineConfig } from 'vite';
import { sharedBuild } from './vite.shared.js';

export default defineConfig({
  root: 'web',
  base: './',
  build: { ...sharedBuild, outDir: '../dist/web', emptyOutDir: true },
});
