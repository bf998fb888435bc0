import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from 'pino';
import { BetEntity, EventEntity } from './entities.js';
import { Migration20250101000000Init } from './migrations/Migration20250101000000Init.js';
import { Migration20250301000000EventFinishedAt } from './migrations/Migration20250301000000EventFinishedAt.js';

/** Committed migrations, in order; listed here so nothing depends on globbing files at run time. */
const migrations = [
  { name: 'Migration20250101000000Init', class: Migration20250101000000Init },
  { name: 'Migration20250301000000EventFinishedAt', class: Migration20250301000000EventFinishedAt },
];

/**
 * Run on every new connection. `backend_flush_after` (off by default) makes a backend ask the OS to write its own
 * writes back every 256 kB instead of leaving them dirty in the page cache. Settling a big event evicts hundreds
 * of MB of dirty pages from shared buffers; left in the page cache, the kernel flushed about 180 MB of them at once
 * and every commit waited behind it: POST /bet p99 during a settlement went from 120-329 ms to 17-37 ms, the
 * raw UPDATE's own level (bench/, settle scenario run alone; BENCHMARKS.md). Small writes are unaffected.
 */
const SESSION_SETTINGS = "SET backend_flush_after = '256kB'";

/** The part of a pg client that the pool's afterCreate hook uses. */
interface NewConnection {
  query(sql: string, callback: (err: Error | null) => void): void;
}

/** Any number: several replicas may start at once; the lock makes them migrate one after another. */
const MIGRATION_LOCK = 7_346_001;

export interface OrmOptions {
  url: string;
  poolSize: number;
  logger: Logger;
}

/** Connects MikroORM (PostgreSQL) with bet-maker's entities; no decorators, no metadata reflection. */
export async function createOrm(opts: OrmOptions): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: opts.url,
    entities: [EventEntity, BetEntity],
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, silent: true },
    pool: {
      min: 0,
      max: opts.poolSize,
      // A setting the server refuses (a proxy in between, say) costs the optimisation, not the connection.
      afterCreate: (conn: NewConnection, done: (err: Error | null, conn: NewConnection) => void) => {
        conn.query(SESSION_SETTINGS, (err) => {
          if (err) opts.logger.warn({ err, sql: SESSION_SETTINGS }, 'session setting refused');
          done(null, conn);
        });
      },
    },
    // A dropped connection must not crash the process: the pool replaces it. A connect that gets no answer
    // (PostgreSQL's host gone) fails after 5 s instead of hanging, so the callers' retries run.
    driverOptions: {
      connection: { keepAlive: true, connectionTimeoutMillis: 5_000 },
      // knex prints "Connection Error: ..." with console.log, which would break the JSON log on stdout.
      log: {
        warn: (m: unknown) => opts.logger.warn({ db: m }, 'database client warning'),
        error: (m: unknown) => opts.logger.error({ db: m }, 'database client error'),
        deprecate: (m: unknown) => opts.logger.debug({ db: m }, 'database client deprecation'),
        debug: (m: unknown) => opts.logger.debug({ db: m }, 'database client debug'),
      },
    },
    logger: (message) => opts.logger.debug({ orm: true }, message),
  });
}

/** Runs pending migrations inside one transaction that holds an advisory lock. */
export async function migrate(orm: MikroORM): Promise<void> {
  const knex = orm.em.getConnection().getKnex();
  await knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    await orm.migrator.up({ transaction: trx });
  });
}
