import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config.js';
import type { Db } from '../db/sql.js';
import type { Metrics } from '../metrics.js';
import type { LineProviderAccess } from '../watch/client.js';
import type { Watcher } from '../watch/watcher.js';
import type { CursorCodec } from './cursor.js';

/** What the HTTP layer needs from the rest of the app. */
export interface HttpDeps {
  db: Db;
  orm: MikroORM;
  watcher: Watcher;
  metrics: Metrics;
  logger: Logger;
  /** Whether line-provider accepts our credentials, for /readyz; absent when the client was injected. */
  lineProviderAccess?: LineProviderAccess | undefined;
}

/** HttpDeps plus what createHttpApp builds for the routes. */
export interface RouteDeps extends HttpDeps {
  cursors: CursorCodec;
}

/** The HTTP edge's settings (see config.ts for their variables and defaults). */
export interface HttpOptions {
  /** Unset or perSecond 0: off. */
  rateLimit?: RateLimitConfig | undefined;
  /** Read the client address from the last X-Forwarded-For hop. Default false. */
  trustProxy?: boolean | undefined;
  /** Key material for cursors; unset: random per process. */
  cursorSecret?: string | undefined;
  /** Milliseconds, for the rate limiter; injected by tests. */
  now?: () => number;
}
