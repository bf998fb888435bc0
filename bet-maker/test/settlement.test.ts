import anyTest, { type TestFn } from 'ava';
import type pg from 'pg';
import { withTestDatabase, type DatabaseContext } from './helpers/database.js';
import { FakeLineProvider } from './helpers/fake-line-provider.js';
import { caughtUp, settled, startHarness } from './helpers/harness.js';
import { get, postBet } from './helpers/http.js';

const test = anyTest as TestFn<DatabaseContext>;

withTestDatabase(test);

const pendingOf = async (sql: pg.Pool, eventId: string) =>
  Number(
    (
      await sql.query<{ count: string }>(
        `SELECT count(*) FROM bets WHERE event_id = $1 AND status = 'PENDING'`,
        [eventId],
      )
    ).rows[0]?.count,
  );

// Each test runs its own provider instance on the shared database, so they run one at a time.
test.serial(
  'when a pending bet of a finished event appears behind the watcher, then the sweeper settles it',
  async (t) => {
    const h = await startHarness(t.context.db.url, { config: { sweeperIntervalMs: 50 } });
    t.teardown(() => h.stop());
    h.fake.put({ id: 'swept' });
    const first = settled(h, 'swept');
    h.fake.finish('swept', true);
    await caughtUp(h);
    await first;
    const swept = new Promise<number>((resolve) =>
      h.run.settler.on('settled', (id, n) => id === 'swept' && n > 0 && resolve(n)),
    );
    // As if a crashed replica had left it behind (or a bet had slipped past a bug): straight into the table.
    await t.context.sql.query(`INSERT INTO bets (event_id, amount, coefficient) VALUES ('swept', 1, 1.5)`);
    t.is(await swept, 1);
    t.is(await pendingOf(t.context.sql, 'swept'), 0);
  },
);

test.serial('when sweep() is called, then it settles every finished event with pending bets', async (t) => {
  const h = await startHarness(t.context.db.url);
  t.teardown(() => h.stop());
  for (const id of ['sw-1', 'sw-2']) h.fake.put({ id });
  await caughtUp(h);
  await t.context.sql.query(
    `INSERT INTO bets (event_id, amount, coefficient) SELECT e, 1, 1.5 FROM unnest(ARRAY['sw-1','sw-2']) e, generate_series(1, 3)`,
  );
  // Finish both in the table only, so nothing but the sweeper can settle them.
  await t.context.sql.query(`UPDATE events SET status = 'FINISHED_WIN' WHERE id IN ('sw-1', 'sw-2')`);
  t.is(await h.run.settler.sweep(), 6);
  t.is(await h.run.settler.sweep(), 0);
  t.is(await pendingOf(t.context.sql, 'sw-1'), 0);
});

test.serial(
  'when the provider restarts without its events, then their bets stay PENDING as orphans',
  async (t) => {
    const fake = await FakeLineProvider.start();
    fake.put({ id: 'orph-a' });
    fake.put({ id: 'orph-b' });
    const h = await startHarness(t.context.db.url, { fake });
    t.teardown(async () => {
      await h.stop();
      await fake.stop();
    });
    await caughtUp(h);
    t.is((await postBet(h.base, { event_id: 'orph-a', amount: 2 })).status, 201);

    fake.restart(false);
    fake.put({ id: 'orph-b' });
    await caughtUp(h);
    const ready = await get<{ orphaned_bets: number }>(h.base, '/readyz');
    t.is(ready.body.orphaned_bets, 1);
    t.true((await get<string>(h.base, '/metrics')).body.includes('betmaker_orphaned_bets 1'));
    t.is(await pendingOf(t.context.sql, 'orph-a'), 1);
    t.is((await postBet(h.base, { event_id: 'orph-a', amount: 2 })).status, 409);
    t.deepEqual(
      (await get<{ event_id: string }[]>(h.base, '/events')).body.map((e) => e.event_id),
      ['orph-b'],
    );

    // It comes back (from a journal restored by hand, say) and finishes: the bet settles.
    fake.put({ id: 'orph-a' });
    await caughtUp(h);
    t.is((await get<{ orphaned_bets: number }>(h.base, '/readyz')).body.orphaned_bets, 0);
    const done = settled(h, 'orph-a');
    fake.finish('orph-a', false);
    await done;
    t.is(await pendingOf(t.context.sql, 'orph-a'), 0);
  },
);

test.serial(
  'when a provider restart resets revisions, then open events still take its updates',
  async (t) => {
    const fake = await FakeLineProvider.start();
    for (let i = 0; i < 5; i++) fake.put({ id: 'reset-filler' });
    fake.put({ id: 'reset-a', coefficient: '1.20' });
    const h = await startHarness(t.context.db.url, { fake });
    t.teardown(async () => {
      await h.stop();
      await fake.stop();
    });
    await caughtUp(h);
    fake.restart(false);
    fake.put({ id: 'reset-a', coefficient: '3.40' });
    await caughtUp(h);
    const row = await t.context.sql.query(
      `SELECT coefficient::text, revision::text FROM events WHERE id = 'reset-a'`,
    );
    t.deepEqual(row.rows[0], { coefficient: '3.40', revision: '1' });
    const bet = await postBet<{ coefficient: string }>(h.base, { event_id: 'reset-a', amount: 1 });
    t.is(bet.body.coefficient, '3.40');
  },
);

test.serial('when an event finished, then a stale or replayed delivery never reopens it', async (t) => {
  const h = await startHarness(t.context.db.url);
  t.teardown(() => h.stop());
  h.fake.put({ id: 'final' });
  h.fake.finish('final', true);
  await caughtUp(h);
  h.fake.restart(false);
  h.fake.put({ id: 'final', coefficient: '9.99' });
  await caughtUp(h);
  const row = await t.context.sql.query(`SELECT status, coefficient::text FROM events WHERE id = 'final'`);
  t.deepEqual(row.rows[0], { status: 'FINISHED_WIN', coefficient: '1.50' });
  t.is((await postBet(h.base, { event_id: 'final', amount: 1 })).status, 409);
});

test.serial(
  'when bet-maker opens database connections, then each writes its own dirty pages back every 256 kB',
  async (t) => {
    const h = await startHarness(t.context.db.url);
    t.teardown(() => h.stop());
    const setting = `SELECT current_setting('backend_flush_after') AS flush, pg_backend_pid() AS pid`;
    type Row = { flush: string; pid: number };
    // A transaction inside another: the outer one holds its connection, so the inner one needs a second.
    const rows = await h.run.db.transaction(async (outer) => {
      const inner = await h.run.db.transaction((tx) => tx.query<Row>(setting));
      return [...(await outer.query<Row>(setting)), ...inner];
    });
    t.is(new Set(rows.map((r) => r.pid)).size, 2);
    t.deepEqual(
      rows.map((r) => r.flush),
      ['256kB', '256kB'],
    );
  },
);
