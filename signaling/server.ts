/**
 * The entry point: read the configuration, build the app, listen, print where, and shut down
 * cleanly on SIGINT/SIGTERM.
 */
import { buildApp } from './app.js';
import { CONFIG_HELP, ConfigError, checkSettingsTogether, loadConfig, stunBindHost, type ServerConfig } from './config.js';
import { StunServer } from './stun/stun-server.js';
import { listenMetrics, type MetricsListener } from './metrics/metrics-listener.js';
import { RedisRoomBus } from './bus/redis-room-bus.js';

/** The built-in STUN server for STUN_PORT, or undefined when it is off; a clear error if it cannot bind. */
async function startStun(config: ServerConfig): Promise<StunServer | undefined> {
  if (config.stunPort === 0) return undefined;
  const host = stunBindHost(config);
  try {
    return await StunServer.listen({ host, port: config.stunPort });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'is already in use (by another Parley, or a TURN server such as coturn, which answers STUN itself)'
        : code === 'EACCES'
          ? 'may not be bound by this user'
          : `cannot be bound (${(error as Error).message})`;
    throw new Error(`the STUN port ${host}:${config.stunPort} (UDP) ${why}; set STUN_PORT to another port, or to 0 to turn the built-in STUN server off`);
  }
}

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig();
    checkSettingsTogether(loaded.config);
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
  const stunServer = await startStun(config);
  let bus: RedisRoomBus | undefined;
  try {
    bus = config.redisUrl === undefined ? undefined : await RedisRoomBus.connect({ url: config.redisUrl, log: { info: () => undefined, warn: (object, message) => process.stderr.write(`parley: ${message}\n`) } });
  } catch (error) {
    await stunServer?.close();
    throw error;
  }
  const app = await buildApp({ ...config, ...(stunServer ? { stunServer } : {}), ...(bus ? { bus } : {}) });
  if (bus) {
    // From here on the bus speaks through the server's own logger.
    bus.useLog(app.log);
  }
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    throw error;
  }

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const anyInterface = ['0.0.0.0', '::', 'localhost'].includes(config.host);
  const shownHost = anyInterface ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  let metrics: MetricsListener | undefined;
  if (config.metricsPort !== 0) {
    try {
      metrics = await listenMetrics(app.metrics, { host: config.metricsHost, port: config.metricsPort });
    } catch (error) {
      await app.close();
      throw new Error(`the metrics listener cannot bind ${config.metricsHost}:${config.metricsPort} (${(error as Error).message}); set METRICS_PORT to another port, or to 0 for no metrics`);
    }
  }
  const metricsLine = metrics ? `; metrics at http://${config.metricsHost.includes(':') ? `[${config.metricsHost}]` : config.metricsHost}:${metrics.port}/metrics` : '';
  const busLine = bus ? `; rooms shared through Redis as instance ${bus.instance.slice(0, 8)}` : '';
  const stunLine = `${stunServer ? `built-in STUN on UDP ${stunServer.port}` : 'built-in STUN off'}${metricsLine}${busLine}`;
  process.stdout.write(`\nParley is running: open http://${shownHost}:${port}/ (listening on ${config.host}:${port}; ${stunLine})\n\n`);

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
    Promise.all([app.close(), metrics?.close()]).then(
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
