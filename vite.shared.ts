// Build settings shared by the app, the embeddable element and the bench's transport page.
import { fileURLToPath } from 'node:url';
import type { BuildEnvironmentOptions, Rolldown, UserConfig } from 'vite';

export const sharedOutput: Rolldown.OutputOptions = {
  // Chromium then compiles every function while the script streams in, on another thread, instead
  // of one at a time on the main thread as the page first calls each: nearly all of this code runs
  // while a room opens. A newcomer's first task went from about 66 to 45 ms.
  postBanner: '//# allFunctionsCalledOnLoad',
};

export const sharedBuild: BuildEnvironmentOptions = {
  target: 'es2022',
  sourcemap: true,
  minify: true,
  rolldownOptions: {
    output: sharedOutput,
  },
};

export const sharedResolve: UserConfig['resolve'] = {
  alias: {
    // simple-peer's debug logging, which is off unless turned on in devtools, is left out.
    debug: fileURLToPath(new URL('./web/transport/debug-off.ts', import.meta.url)),
    // streamx's text decoding (never used: no stream here has an encoding) by the browser's own.
    'text-decoder': fileURLToPath(new URL('./web/transport/text-decoder-native.cjs', import.meta.url)),
  },
};
