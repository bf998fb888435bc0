/**
 * Databases for the fault tests: one fresh database per test (the invariants look at the whole database),
 * on the machine's PostgreSQL when DATABASE_URL is set, else on an embedded one shared by the file.
 */
import type { ExecutionContext, TestFn } from 'ava';
import type pg from 'pg';
import { createTestDatabase, testPool, type TestDatabase } from '../../../bet-maker/test/helpers/database.js';

export interface FreshDatabase {
  url: string;
  /** A small pool of the test's own, straight to PostgreSQL (never through a fault proxy). */
  sql: pg.Pool;
}

/**
 * Keeps one database for the whole file, so that an embedded PostgreSQL (no DATABASE_URL) is started
 * once per file rather than once per test.
 */
export function keepCluster(test: TestFn): void {
  let keeper: TestDatabase | undefined;
  test.before(async () => {
    keeper = await createTestDatabase();
  });
  test.after.always(async () => {
    await keeper?.drop();
  });
}

/** A new empty database for this test, dropped (with its connections) when the test ends. */
export async function freshDatabase(t: ExecutionContext): Promise<FreshDatabase> {
  const db = await createTestDatabase();
  const sql = testPool(db.url, 4);
  // Teardowns run last-registered first: this one runs after the services that use the database stopped.
  t.teardown(async () => {
    await sql.end();
    await db.drop();
  });
  return { url: db.url, sql };
}

/**
 * Takes `LOCK TABLE events IN EXCLUSIVE MODE` in a transaction of its own, so that every write to the events
 * table (the watcher's upserts, a bet's `FOR SHARE`) waits. Resolves with the release, which is also
 * registered as a teardown (idempotent), so a failing test never leaves the lock held.
 */
export async function lockEventsTable(t: ExecutionContext, sql: pg.Pool): Promise<() => Promise<void>> {
  const locker = await sql.connect();
  locker.on('error', () => undefined);
  let locked = true;
  const unlock = async () => {
    if (!locked) return;
    locked = false;
    await locker.query('COMMIT');
    locker.release();
  };
  t.teardown(unlock);
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE events IN EXCLUSIVE MODE');
  return unlock;
}

/** The same database reached through `host:port` (a proxy in front of PostgreSQL). */
export function viaPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/** Host and port of a PostgreSQL URL. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname === 'localhost' ? '127.0.0.1' : u.hostname, port: Number(u.port || 5432) };
}

/**
 * Adds `n` PENDING bets on `eventId` in one set-based statement, with the event's coefficient; the
 * event must already be mirrored. For large settlements (placing them over HTTP would take minutes).
 */
export async function insertPendingBets(sql: pg.Pool, eventId: string, n: number): Promise<void> {
  const res = await sql.query(
    `INSERT INTO bets (event_id, amount, coefficient)
     SELECT e.id, 1 + (g % 100), e.coefficient FROM events e, generate_series(1, $2::int) g WHERE e.id = $1`,
    [eventId, n],
  );
  if (res.rowCount !== n) throw new Error(`inserted ${res.rowCount} bets on ${eventId}, wanted ${n}`);
}

/** Bets of these events that are still PENDING, plus events not yet finished in the mirror. */
export async function unsettled(sql: pg.Pool, eventIds: readonly string[]): Promise<number> {
  const res = await sql.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM bets WHERE event_id = ANY($1) AND status = 'PENDING')::int
          + (SELECT count(*) FROM events WHERE id = ANY($1) AND status = 'NEW')::int AS n`,
    [eventIds],
  );
  return res.rows[0]?.n ?? 0;
}

/** Counts bets of an event by status. */
export async function betCounts(sql: pg.Pool, eventId: string): Promise<Record<string, number>> {
  const res = await sql.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM bets WHERE event_id = $1 GROUP BY status`,
    [eventId],
  );
  return Object.fromEntries(res.rows.map((r) => [r.status, r.n]));
}

/** Finished events that bet-maker marked settled (none of their bets pending). */
export async function eventsMarkedSettled(sql: pg.Pool): Promise<number> {
  const res = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events WHERE settled_at IS NOT NULL`,
  );
  return res.rows[0]?.n ?? 0;
}
