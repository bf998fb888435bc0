import type { TestFn } from 'ava';
import type pg from 'pg';
import { createTestDatabase, testPool, type TestDatabase } from './database.js';
import { caughtUp, startHarness, type Harness } from './harness.js';

/** Context of a test file that shares one database, one fake provider and one bet-maker. */
export interface Shared {
  db: TestDatabase;
  h: Harness;
  sql: pg.Pool;
}

export interface Bet {
  bet_id: string;
  event_id: string;
  amount: string;
  coefficient: string;
  status: string;
  created_at: string;
  settled_at: string | null;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

/** Registers before/after hooks that start and stop the shared app; tests then use unique event ids. */
export function useSharedApp(test: TestFn<Shared>): void {
  test.before(async (t) => {
    const db = await createTestDatabase();
    const h = await startHarness(db.url);
    await new Promise<void>((r) => (h.run.watcher.synced ? r() : h.run.watcher.once('synced', r)));
    t.context = { db, h, sql: testPool(db.url, 2) };
  });
  test.after.always(async (t) => {
    await t.context.sql?.end();
    await t.context.h?.stop();
    await t.context.db?.drop();
  });
}

let seq = 0;

/** A fresh open event on the fake provider, already applied by bet-maker. */
export async function openEvent(t: { context: Shared }, coefficient = '1.75'): Promise<string> {
  const id = `ev-${process.pid}-${++seq}`;
  t.context.h.fake.put({ id, coefficient, deadline: new Date(Date.now() + 3_600_000) });
  await caughtUp(t.context.h);
  return id;
}

/** Bets stored for an event, straight from the table. */
export async function countBets(t: { context: Shared }, eventId: string, status?: string): Promise<number> {
  const res = await t.context.sql.query<{ count: string }>(
    'SELECT count(*) FROM bets WHERE event_id = $1 AND ($2::text IS NULL OR status = $2)',
    [eventId, status ?? null],
  );
  return Number(res.rows[0]?.count);
}
