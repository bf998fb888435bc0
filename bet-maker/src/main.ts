import { loadConfig } from './config.js';
import { createApp } from './app.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.js';
import { createLogger } from './logger.js';

/** Reads the environment, starts the embedded database when there is no DATABASE_URL, wires signals. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  let embedded: EmbeddedPostgres | undefined;
  if (config.databaseUrl === undefined) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, logger });
    config.databaseUrl = embedded.url;
  }
  const app = createApp(config, { logger });
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    // Under tsx a Ctrl-C arrives twice (the terminal's and tsx's relay): repeats are ignored, and a
    // deadline guards against a shutdown that hangs.
    if (stopping) return;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 15_000).unref();
    stopping = app
      .stop()
      .catch((err: unknown) => logger.error({ err }, 'stop failed'))
      .then(() => embedded?.stop())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'embedded PostgreSQL did not stop cleanly');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    await app.start();
  } catch (err) {
    logger.fatal({ err }, 'bet-maker failed to start');
    await app.stop().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
