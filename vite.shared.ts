// Build settings shared by the app, the embeddable element and the bench's transport page.
import { fileURLToPath } from 'node:url';
import type { BuildEnvironmentOptions, UserConfig } from 'vite';

export const sharedBuild: BuildEnvironmentOptions = {
  target: 'es2022',
  sourcemap: true,
  minify: true,
  rolldownOptions: {
    treeshake: {
      // signaling/protocol.ts builds its schemas with TypeBox's Type.*; the browser only needs the
      // protocol's constants and types, so unused schema calls (and TypeBox) drop out of the bundle.
      manualPureFunctions: ['Type'],
    },
  },
};

export const sharedResolve: UserConfig['resolve'] = {
  // simple-peer's debug logging, which is off unless turned on in devtools, is left out.
  alias: { debug: fileURLToPath(new URL('./web/transport/debug-off.ts', import.meta.url)) },
};
