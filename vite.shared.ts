// Build settings shared by the app and the embeddable element.
import type { BuildEnvironmentOptions } from 'vite';

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
