import anyTest, { type TestFn } from 'ava';
import type pg from 'pg';
import { pino } from 'pino';
import { createOrm, migrate } from '../src/db/orm.js';
import { createDb, type Db } from '../src/db/sql.js';
import type { EventRecord } from '../src/domain/event.js';
import { retryUntilDone } from '../src/watch/backoff.js';
import { SnapshotLoad, type Write } from '../src/watch/snapshot-load.js';
import { createTestDatabase, testPool } from './helpers/database.js';

interface Context {
  store: Db;
  sql: pg.Pool;
  close: () => Promise<void>;
}

/**
 * Each test gets a database of its own: a snapshot marks every open event of another provider instance
 * orphaned, so tests sharing a table would change each other's rows.
 */
const test = anyTest as TestFn<Context>;

test.beforeEach(async (t) => {
  const db = await createTestDatabase();
  const orm = await createOrm({ url: db.url, poolSize: 4, logger: pino({ level: 'silent' }) });
  const sql = testPool(db.url, 2);
  const close = async () => {
    await sql.end();
    await orm.close(true);
    await db.drop();
  };
  t.context = { store: createDb(orm.em.getConnection().getKnex()), sql, close };
  await migrate(orm);
});

test.afterEach.always(async (t) => {
  await t.context.close?.();
});

const event = (id: string, revision: number, over: Partial<EventRecord> = {}): EventRecord => ({
  id,
  coefficient: '1.50',
  deadline: new Date(Date.UTC(2030, 0, 1)),
  status: 'NEW',
  revision: String(revision),
  ...over,
});
const many = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => event(`${prefix}-${i}`, i + 1));

/** Retries at once (no backoff to wait for), until it succeeds or is aborted; tells `onError` each failure. */
const retrying =
  (onError: (err: unknown) => void = () => {}): Write =>
  (fn, signal) =>
    retryUntilDone(fn, {
      minMs: 0,
      maxMs: 0,
      clock: { random: () => 0, sleep: () => Promise.resolve() },
      signal: signal ?? new AbortController().signal,
      onError,
    });
const write = retrying();

/** The store, with a hook called after every statement run inside a transaction (it may throw). */
function instrumented(store: Db, after: (sql: string) => void): Db {
  return {
    ...store,
    transaction: (fn) =>
      store.transaction((tx) =>
        fn({
          query: async (sql, params) => {
            const rows = await tx.query(sql, params);
            after(sql);
            return rows as never;
          },
        }),
      ),
  };
}

const count = async (sql: pg.Pool, prefix: string) =>
  (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE id LIKE $1`, [`${prefix}-%`]))
    .rows[0]?.n;

test('when a snapshot load is aborted after it wrote a batch, then none of it stays', async (t) => {
  let wrote!: (sql: string) => void;
  const written = new Promise<string>((r) => (wrote = r));
  const load = new SnapshotLoad(
    instrumented(t.context.store, (sql) => wrote(sql)),
    'inst-abort',
    write,
  );
  load.add(many('abort', 2_500));
  t.regex(await written, /INSERT INTO events/);
  await load.abort();
  t.is(await count(t.context.sql, 'abort'), 0);
});

test('when the transaction of a snapshot load fails, then it is retried from the first event', async (t) => {
  let failures = 0;
  const store = instrumented(t.context.store, (sql) => {
    if (failures === 0 && sql.includes('INSERT INTO events')) {
      failures++;
      throw new Error('injected failure after the first batch');
    }
  });
  const load = new SnapshotLoad(store, 'inst-retry', write);
  load.add(many('retry', 2_500));
  load.add(many('retry-more', 300));
  const done = await load.finish();
  t.is(failures, 1);
  t.is(done.events.length, 2_800);
  t.is(await count(t.context.sql, 'retry'), 2_800);
});

test('when rows are already up to date, then a snapshot load neither rewrites nor locks them', async (t) => {
  const { store, sql } = t.context;
  await new SnapshotLoad(store, 'inst-same', write).finish();
  const first = new SnapshotLoad(store, 'inst-same', write);
  first.add(many('same', 3));
  await first.finish();
  const before = await sql.query(
    `SELECT id, xmin, updated_at FROM events WHERE id LIKE 'same-%' ORDER BY id`,
  );
  const again = new SnapshotLoad(store, 'inst-same', write);
  again.add(many('same', 3));
  const done = await again.finish();
  t.deepEqual(done.changed, []);
  t.deepEqual(done.orphans, []);
  const after = await sql.query<{ locked: boolean }>(
    `SELECT id, xmin, updated_at, xmax <> '0'::xid AS locked FROM events WHERE id LIKE 'same-%' ORDER BY id`,
  );
  t.deepEqual(
    after.rows.map(({ locked: _, ...r }) => r),
    before.rows,
  );
  // A row lock leaves its transaction id in xmax: none was taken.
  t.true(after.rows.every((r) => !r.locked));
});

test('when a snapshot load meets rows that moved, then it moves them forward only', async (t) => {
  const { store, sql } = t.context;
  const seed = new SnapshotLoad(store, 'inst-fwd', write);
  seed.add([event('fwd-old', 5), event('fwd-done', 5, { status: 'FINISHED_WIN' }), event('fwd-ahead', 9)]);
  await seed.finish();
  const load = new SnapshotLoad(store, 'inst-fwd', write);
  load.add([
    event('fwd-old', 7, { status: 'FINISHED_LOSE' }),
    event('fwd-done', 8, { status: 'NEW' }),
    event('fwd-ahead', 3, { coefficient: '9.99' }),
    event('fwd-new', 1, { status: 'FINISHED_WIN' }),
  ]);
  const done = await load.finish();
  t.deepEqual(done.changed.map((c) => [c.id, c.status]).sort(), [
    ['fwd-new', 'FINISHED_WIN'],
    ['fwd-old', 'FINISHED_LOSE'],
  ]);
  const rows = await sql.query(
    `SELECT id, status, revision, coefficient::text AS coefficient FROM events WHERE id LIKE 'fwd-%' ORDER BY id`,
  );
  t.deepEqual(rows.rows, [
    { id: 'fwd-ahead', status: 'NEW', revision: '9', coefficient: '1.50' },
    { id: 'fwd-done', status: 'FINISHED_WIN', revision: '5', coefficient: '1.50' },
    { id: 'fwd-new', status: 'FINISHED_WIN', revision: '1', coefficient: '1.50' },
    { id: 'fwd-old', status: 'FINISHED_LOSE', revision: '7', coefficient: '1.50' },
  ]);
});

test('when an orphaned event is in a snapshot again at its revision, then it is no longer orphaned', async (t) => {
  const { store, sql } = t.context;
  const seed = new SnapshotLoad(store, 'inst-orphan-a', write);
  seed.add([event('orphan-x', 4)]);
  await seed.finish();
  // A snapshot of another instance that lacks it marks it orphaned (it keeps instance a's stamp).
  const other = new SnapshotLoad(store, 'inst-orphan-b', write);
  t.true((await other.finish()).orphans.includes('orphan-x'));
  const back = new SnapshotLoad(store, 'inst-orphan-a', write);
  back.add([event('orphan-x', 4)]);
  await back.finish();
  const row = await sql.query<{ orphaned_at: Date | null }>(
    `SELECT orphaned_at FROM events WHERE id = 'orphan-x'`,
  );
  t.is(row.rows[0]?.orphaned_at, null);
});

test('when events are stored, then their deadlines keep every millisecond', async (t) => {
  const deadlines = [
    new Date(Date.UTC(2030, 5, 1, 12, 30, 15, 123)),
    new Date(-1),
    new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
    new Date('9999-12-31T23:59:59.999Z'),
  ];
  const load = new SnapshotLoad(t.context.store, 'inst-deadline', write);
  load.add(deadlines.map((deadline, i) => event(`deadline-${i}`, 1, { deadline })));
  await load.finish();
  const rows = await t.context.sql.query<{ ms: string }>(
    `SELECT (extract(epoch FROM deadline) * 1000)::bigint::text AS ms FROM events
      WHERE id LIKE 'deadline-%' ORDER BY id`,
  );
  t.deepEqual(
    rows.rows.map((r) => Number(r.ms)),
    deadlines.map((d) => d.getTime()),
  );
});

test('when two replicas load the same new events at once, then the later one retries and both succeed', async (t) => {
  const { store, sql } = t.context;
  let inserted!: () => void;
  const aWrote = new Promise<void>((r) => (inserted = r));
  const a = new SnapshotLoad(instrumented(store, inserted), 'inst-race', write);
  a.add(many('race', 2_500));
  await aWrote;
  const failures: unknown[] = [];
  const b = new SnapshotLoad(
    store,
    'inst-race',
    retrying((err) => failures.push(err)),
  );
  b.add(many('race', 2_500));
  const bDone = b.finish();
  // Until b's insert waits for a's uncommitted rows (an event PostgreSQL reports, polled without pause).
  for (;;) {
    const waiting = await sql.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (waiting.rowCount !== 0) break;
  }
  await a.finish();
  const done = await bDone;
  t.is(failures.length, 1);
  t.is((failures[0] as { code?: string }).code, '23505');
  t.deepEqual(done.changed, []);
  t.is(await count(sql, 'race'), 2_500);
});

test('when a snapshot holds an event twice, then its newest revision is kept', async (t) => {
  const failures: unknown[] = [];
  const load = new SnapshotLoad(
    t.context.store,
    'inst-dup',
    retrying((err) => failures.push(err)),
  );
  load.add([event('dup-a', 3), event('dup-a', 5, { status: 'FINISHED_LOSE' }), event('dup-a', 4)]);
  load.add([event('dup-b', 1)]);
  load.add([event('dup-b', 2, { coefficient: '2.00' })]);
  const done = await load.finish();
  t.deepEqual(failures, []);
  t.deepEqual(done.changed, [{ id: 'dup-a', status: 'FINISHED_LOSE' }]);
  const rows = await t.context.sql.query(
    `SELECT id, status, revision, coefficient::text AS coefficient FROM events ORDER BY id`,
  );
  t.deepEqual(rows.rows, [
    { id: 'dup-a', status: 'FINISHED_LOSE', revision: '5', coefficient: '1.50' },
    { id: 'dup-b', status: 'NEW', revision: '2', coefficient: '2.00' },
  ]);
});

test('when a bet batch holds an event that a snapshot end must lock, then they do not deadlock', async (t) => {
  const { store, sql } = t.context;
  const seed = new SnapshotLoad(store, 'inst-old', write);
  seed.add([event('dl-b', 1), event('dl-c', 1)]);
  await seed.finish();
  // A bet batch share-locks its events in id order: dl-b now, dl-c below.
  const bets = await sql.connect();
  t.teardown(() => bets.release());
  await bets.query('BEGIN');
  await bets.query(`SELECT 1 FROM events WHERE id = 'dl-b' FOR SHARE`);
  const failures: unknown[] = [];
  // The provider restarted and lost dl-b: dl-c moves to the new instance, dl-b is to be marked orphaned.
  const load = new SnapshotLoad(
    store,
    'inst-new',
    retrying((err) => failures.push(err)),
  );
  load.add([event('dl-c', 1)]);
  const done = load.finish();
  for (;;) {
    const waiting = await sql.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (waiting.rowCount !== 0) break;
  }
  // The snapshot end waits for dl-b before it has locked dl-c, so the bet batch gets dl-c and commits.
  await bets.query(`SELECT 1 FROM events WHERE id = 'dl-c' FOR SHARE`);
  await bets.query('COMMIT');
  t.deepEqual((await done).orphans, ['dl-b']);
  t.deepEqual(failures, []);
});
