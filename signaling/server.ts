/**
 * The entry point: read the configuration, build the app, listen, print where, and shut down
 * cleanly on SIGINT/SIGTERM.
 */
import { buildApp } from './app.js';
import { CONFIG_HELP, ConfigError, loadConfig } from './config.js';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`parley: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (loaded.help) {
    process.stdout.write(CONFIG_HELP);
    return;
  }
  const { config } = loaded;
  const app = await buildApp(config);
  await app.listen({ port: config.port, host: config.host });

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const anyInterface = ['0.0.0.0', '::', 'localhost'].includes(config.host);
  const shownHost = anyInterface ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(`\nParley is running: open http://${shownHost}:${port}/ (listening on ${config.host}:${port})\n\n`);

  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const forceExit = setTimeout(() => {
      process.stderr.write(`parley: shutdown took too long (over ${config.shutdownTimeoutMs} ms); exiting\n`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    forceExit.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`parley: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
