import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';
import { createTestDatabase, testPool } from '../../bet-maker/test/helpers/database.js';

/** The machine's PostgreSQL used when DATABASE_URL is not set and it answers on the standard port. */
const LOCAL_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of the bench's own; dropped at the end of the scenario that made it. */
export interface BenchDatabase {
  url: string;
  /** A pool for the bench's own SQL (data generation, baselines, checks). */
  pool: pg.Pool;
  drop(): Promise<void>;
}

export type ServerKind = 'DATABASE_URL' | 'local 127.0.0.1:5432' | 'embedded';

let kind: Promise<{ kind: ServerKind; adminUrl?: string }> | undefined;

/** Where databases are made: DATABASE_URL, else 127.0.0.1:5432 if it answers, else an embedded server. */
export function serverKind(): Promise<{ kind: ServerKind; adminUrl?: string }> {
  kind ??= (async () => {
    const env = process.env.DATABASE_URL;
    if (env !== undefined && env !== '') return { kind: 'DATABASE_URL' as const, adminUrl: env };
    if (await answers('127.0.0.1', 5432))
      return { kind: 'local 127.0.0.1:5432' as const, adminUrl: LOCAL_ADMIN_URL };
    return { kind: 'embedded' as const };
  })();
  return kind;
}

/** Creates a fresh, uniquely named database; `poolSize` connections for the bench's own SQL. */
export async function createBenchDatabase(poolSize = 4): Promise<BenchDatabase> {
  const server = await serverKind();
  let url: string;
  let dropDb: () => Promise<void>;
  if (server.adminUrl === undefined) {
    const db = await createTestDatabase();
    url = db.url;
    dropDb = () => db.drop();
  } else {
    const adminUrl = server.adminUrl;
    const name = `bench_${randomBytes(5).toString('hex')}`;
    await admin(adminUrl, `CREATE DATABASE ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDb = () => admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  // Takes the error of a connection cut by the drop WITH (FORCE) right after pool.end() (see testPool).
  const pool = testPool(url, poolSize);
  return {
    url,
    pool,
    drop: async () => {
      await pool.end();
      await dropDb();
    },
  };
}

/** The server's version string, e.g. "15.20 (Debian 15.20-0+deb12u1)". */
export async function serverVersion(pool: pg.Pool): Promise<string> {
  const res = await pool.query<{ server_version: string }>('SHOW server_version');
  return res.rows[0]?.server_version ?? 'unknown';
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

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}
