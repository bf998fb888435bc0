import { pino } from 'pino';

import { createApp } from './app.js';
import type { Config } from './config.js';
import { ConfigError, loadConfig } from './config.js';
import { seedDemoEvents } from './seed.js';

// Entry point: configuration, the app, demo data if asked, signals. Nothing else lives here.
// Every setting is an environment variable, documented with its default in config.ts (LINE_PROVIDER_PORT,
// LINE_PROVIDER_DATA_DIR for the journal, LINE_PROVIDER_ADMIN_TOKEN / LINE_PROVIDER_READ_TOKEN, LINE_PROVIDER_TLS_*,
// LINE_PROVIDER_METRICS_PORT, ...); an invalid one stops the start with exit code 2 and a message naming it.
const config = loadConfigOrExit();
const logger = pino({ level: config.logLevel });
const app = createApp(config, { logger });

// Start fails on a damaged journal, an unreadable TLS file or a port in use; the message says which.
const { port } = await app.start().catch((error: unknown) => {
  logger.fatal({ err: error }, `line-provider cannot start: ${(error as Error).message}`);
  process.exit(1);
});
if (config.seedDemo || process.argv.includes('--seed-demo')) {
  const added = await seedDemoEvents(app.store);
  logger.info({ added, events: app.store.size }, 'demo events seeded');
}
logger.info(`line-provider ready on ${config.host}:${port}`);

let stopping = false;
const onSignal = (signal: NodeJS.Signals): void => {
  if (stopping) {
    // A second signal while stopping: the operator does not want to wait.
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'stopping');
  app.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'stop failed');
      process.exit(1);
    },
  );
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

function loadConfigOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Fail fast with just the message: a stack trace would hide which variable is wrong.
    process.stderr.write(`line-provider: ${error.message}\n`);
    process.exit(2);
  }
}
