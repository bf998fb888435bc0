import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestFn } from 'ava';
import { pino } from 'pino';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.js';

/** A database of its own for one test file. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

interface Cluster {
  adminUrl: string;
  release(): Promise<void>;
}

let shared: { cluster: Promise<Cluster>; users: number } | undefined;

/**
 * Creates a uniquely named database (`bm_test_<random>`). With DATABASE_URL set, on that server (dropped
 * by drop()); otherwise on an embedded PostgreSQL in a temp directory, one per test process, stopped and
 * deleted when its last database is dropped.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const cluster = await acquire();
  const name = `bm_test_${randomBytes(6).toString('hex')}`;
  await admin(cluster.adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(cluster.adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin(cluster.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cluster.release();
    },
  };
}

async function acquire(): Promise<Cluster> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== '') return { adminUrl: fromEnv, release: async () => {} };
  shared ??= { cluster: startCluster(), users: 0 };
  shared.users++;
  return shared.cluster;
}

async function startCluster(): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'bet-maker-test-'));
  // mkdtemp makes it 0700; the server runs as the postgres user when we are root.
  await chmod(dir, 0o755);
  let pgServer: EmbeddedPostgres;
  try {
    pgServer = await startEmbeddedPostgres({
      dataDir: dir,
      port: 0,
      logger: pino({ level: 'silent' }),
      database: 'postgres',
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    adminUrl: pgServer.url,
    release: async () => {
      if (shared === undefined || --shared.users > 0) return;
      shared = undefined;
      await pgServer.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A small pool of a test's own on `url`. pg-pool's end() resolves once it has asked each connection to close,
 * not once they closed: a `DROP DATABASE ... WITH (FORCE)` (or an embedded server stopping) right after can
 * still cut one, and an idle connection's error with no listener on the pool is an uncaught exception in a
 * test process whose tests all passed. The pool drops such a connection by itself; nothing else is needed.
 */
export function testPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}

/** What `withTestDatabase` puts in each test's context: the file's database and a small pool on it. */
export interface DatabaseContext {
  db: TestDatabase;
  sql: pg.Pool;
}

/** Gives the file's tests a database of their own and a pool on it (t.context), dropped after them. */
export function withTestDatabase(test: TestFn<DatabaseContext>): void {
  test.before(async (t) => {
    const db = await createTestDatabase();
    t.context = { db, sql: testPool(db.url, 2) };
  });
  test.after.always(async (t) => {
    await t.context.sql?.end();
    await t.context.db?.drop();
  });
}
