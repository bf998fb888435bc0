import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createOrm, migrate } from './db/orm.js';
import { createDb, type Db } from './db/sql.js';
import type { LineProviderServiceClient } from './gen/lineprovider/v1/line_provider.js';
import { createHttpApp } from './http/server.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { systemClock, type Clock } from './watch/backoff.js';
import { createLineProviderClient, readTlsFiles, type LineProviderAccess } from './watch/client.js';
import { Settler } from './watch/settler.js';
import { Watcher } from './watch/watcher.js';

export interface AppDeps {
  logger?: Logger;
  /** A client to use instead of one built from config.lineProviderUrl (it is then not closed by stop). */
  lineProviderClient?: LineProviderServiceClient;
  clock?: Clock;
}

/** What start() built; exposed so tests can observe the watcher and settler instead of sleeping. */
export interface Running {
  port: number;
  orm: MikroORM;
  db: Db;
  watcher: Watcher;
  settler: Settler;
}

export interface App {
  /** Migrates the database, starts the watcher (without waiting for sync) and listens. */
  start(): Promise<Running>;
  /** Stops taking requests, lets in-flight ones finish, cancels the watch, closes the ORM. */
  stop(): Promise<void>;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** The composition root. Nothing happens until start(); config.databaseUrl must be set. */
export function createApp(config: Config, deps: AppDeps = {}): App {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const clock = deps.clock ?? systemClock;
  let running: Running | undefined;
  let server: Server | undefined;
  let ownClient: LineProviderServiceClient | undefined;

  async function start(): Promise<Running> {
    if (config.databaseUrl === undefined) throw new Error('createApp: config.databaseUrl is required');
    // Read before anything is opened, so that a missing certificate fails start with nothing to undo.
    const tls =
      deps.lineProviderClient === undefined && config.lineProviderTls !== undefined
        ? readTlsFiles(config.lineProviderTls)
        : undefined;
    const orm = await createOrm({ url: config.databaseUrl, poolSize: config.dbPoolSize, logger });
    try {
      await migrate(orm);
    } catch (err) {
      await orm.close(true);
      throw err;
    }
    const db = createDb(orm.em.getConnection().getKnex());
    const backoff = { minMs: config.backoffMinMs, maxMs: config.backoffMaxMs };
    const settler = new Settler({
      db,
      logger,
      metrics,
      clock,
      ...backoff,
      batchSize: config.settlementBatchSize,
      sweeperIntervalMs: config.sweeperIntervalMs,
    });
    let lineProviderAccess: LineProviderAccess | undefined;
    let client = deps.lineProviderClient;
    if (client === undefined) {
      const connection = createLineProviderClient(config.lineProviderUrl, {
        keepaliveTimeMs: config.keepaliveTimeMs,
        keepaliveTimeoutMs: config.keepaliveTimeoutMs,
        token: config.lineProviderReadToken,
        tls,
        logger,
      });
      client = ownClient = connection.client;
      lineProviderAccess = connection.access;
    }
    const watcher = new Watcher({
      client,
      db,
      settler,
      logger,
      metrics,
      clock,
      ...backoff,
      idleTimeoutMs: config.watchIdleTimeoutMs,
    });
    const http = createHttpApp(
      { db, orm, watcher, metrics, logger, lineProviderAccess },
      { rateLimit: config.rateLimit, trustProxy: config.trustProxy, cursorSecret: config.cursorSecret },
    );
    // Koa's callback returns a promise that Node's http server ignores; errors end in errorHandler.
    const handler = http.callback();
    server = createServer((req, res) => void handler(req, res));
    server.keepAliveTimeout = 5_000;
    server.listen(config.port, config.host);
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    settler.start();
    watcher.start();
    logger.info(
      {
        port,
        lineProvider: config.lineProviderUrl,
        lineProviderTls: config.lineProviderTls !== undefined,
        lineProviderToken: config.lineProviderReadToken !== undefined,
        rateLimitPerSecond: config.rateLimit?.perSecond ?? 0,
      },
      'bet-maker listening',
    );
    running = { port, orm, db, watcher, settler };
    return running;
  }

  async function stop(): Promise<void> {
    const r = running;
    running = undefined;
    if (server !== undefined) {
      const s = server;
      server = undefined;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeIdleConnections();
      const timer = setTimeout(() => s.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
    }
    if (r === undefined) return;
    await r.watcher.stop();
    await r.settler.stop();
    ownClient?.close();
    await r.orm.close(true);
    logger.info('bet-maker stopped');
  }

  return { start, stop, metrics, logger };
}
