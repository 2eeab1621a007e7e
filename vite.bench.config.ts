// The transport bench page's script (bench/pages/transport-bench.ts), for `npm run bench` only.
import { defineConfig } from 'vite';
import { sharedBuild, sharedResolve } from './vite.shared.js';

export default defineConfig({
  resolve: sharedResolve,
  build: {
    ...sharedBuild,
    outDir: 'dist/bench-web',
    emptyOutDir: true,
    lib: { entry: 'bench/pages/transport-bench.ts', formats: ['es'], fileName: () => 'transport-bench.js' },
  },
});
