import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Db } from '../db/sql.js';
import type { Metrics } from '../metrics.js';
import type { Watcher } from '../watch/watcher.js';

/** What the HTTP layer needs from the rest of the app. */
export interface HttpDeps {
  db: Db;
  orm: MikroORM;
  watcher: Watcher;
  metrics: Metrics;
  logger: Logger;
}
