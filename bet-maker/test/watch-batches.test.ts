import anyTest, { type TestFn } from 'ava';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { FakeLineProvider } from './helpers/fake-line-provider.js';
import { caughtUp, settled, startHarness, stateReached, type Harness } from './helpers/harness.js';
import { get, postBet } from './helpers/http.js';

const test = anyTest as TestFn<{ db: TestDatabase; sql: pg.Pool }>;

test.before(async (t) => {
  const db = await createTestDatabase();
  t.context = { db, sql: new pg.Pool({ connectionString: db.url, max: 2 }) };
});

test.after.always(async (t) => {
  await t.context.sql?.end();
  await t.context.db?.drop();
});

/** A harness whose fake provider already has `ids` open; resolves once bet-maker is live. */
async function live(
  t: { context: { db: TestDatabase }; teardown(fn: () => Promise<void>): void },
  ids: string[],
) {
  const fake = await FakeLineProvider.start();
  for (const id of ids) fake.put({ id });
  const h = await startHarness(t.context.db.url, { fake });
  t.teardown(async () => {
    await h.stop();
    await fake.stop();
  });
  await caughtUp(h);
  await stateReached(h, 'live');
  return h;
}

const reconnects = async (h: Harness, reason: string) =>
  (await h.app.metrics.reconnects.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

// Every test starts its own provider instance on the shared database, so they run one at a time.
test.serial(
  'when a batch creates an event and updates and finishes another, then bet-maker applies it all and settles the bets',
  async (t) => {
    const h = await live(t, ['batch-a']);
    t.is(h.fake.watchRequests[0]?.maxChangesPerMessage, 256);
    const bet = (await postBet<{ bet_id: string }>(h.base, { event_id: 'batch-a', amount: 3 })).body;
    const done = settled(h, 'batch-a');
    const sentBefore = h.fake.changesMessagesSent;
    h.fake.batch(() => {
      h.fake.put({ id: 'batch-b', coefficient: '3.10' });
      h.fake.put({ id: 'batch-a', coefficient: '2.50' });
      h.fake.finish('batch-a', true);
    });
    t.is(h.fake.changesMessagesSent, sentBefore + 1);
    await done;
    await caughtUp(h);
    t.is((await get<{ status: string }>(h.base, `/bets/${bet.bet_id}`)).body.status, 'WON');
    const open = (await get<{ event_id: string; coefficient: string }[]>(h.base, '/events')).body;
    t.deepEqual(
      open.map((e) => [e.event_id, e.coefficient]),
      [['batch-b', '3.10']],
    );
    const row = await t.context.sql.query(`SELECT status, revision FROM events WHERE id = 'batch-a'`);
    t.deepEqual(row.rows[0], { status: 'FINISHED_WIN', revision: String(h.fake.revision) });
    t.is(h.fake.watchRequests.length, 1);
  },
);

test.serial(
  'when a batch skips a revision inside it, then bet-maker resyncs from a snapshot and ends with every event',
  async (t) => {
    const h = await live(t, ['skip-a']);
    const resync = h.fake.nextWatch();
    const made = h.fake.batch(
      () => {
        for (const id of ['skip-b', 'skip-c', 'skip-d']) h.fake.put({ id });
      },
      // skip-c is left out: skip-d's revision comes two after skip-b's.
      (events) => events.filter((e) => e.eventId !== 'skip-c'),
    );
    t.is(made.length, 3);
    t.is((await resync).resumeInstanceId, '');
    await caughtUp(h);
    t.is(await reconnects(h, 'gap'), 1);
    const rows = await t.context.sql.query<{ id: string }>(
      `SELECT id FROM events WHERE id LIKE 'skip-%' ORDER BY id`,
    );
    t.deepEqual(
      rows.rows.map((r) => r.id),
      ['skip-a', 'skip-b', 'skip-c', 'skip-d'],
    );
  },
);

test.serial('when a changes message holds no event, then bet-maker resyncs', async (t) => {
  const h = await live(t, ['empty-a']);
  const resync = h.fake.nextWatch();
  h.fake.broadcast({ kind: { $case: 'changes', value: { events: [] } } });
  t.is((await resync).resumeInstanceId, '');
  await stateReached(h, 'live');
  t.is(await reconnects(h, 'protocol'), 1);
});

test.serial(
  'when the stream resumes after a cut, then the changes missed meanwhile arrive batched and are applied',
  async (t) => {
    const h = await live(t, ['resume-a']);
    const resumed = h.fake.nextWatch();
    h.fake.cutAll();
    for (const id of ['resume-b', 'resume-c', 'resume-d']) h.fake.put({ id });
    const sentBefore = h.fake.changesMessagesSent;
    t.is((await resumed).resumeInstanceId, h.fake.instanceId);
    await caughtUp(h);
    t.is(h.fake.changesMessagesSent, sentBefore + 1);
    const open = (await get<{ event_id: string }[]>(h.base, '/events')).body.map((e) => e.event_id);
    t.deepEqual(open.sort(), ['resume-a', 'resume-b', 'resume-c', 'resume-d']);
  },
);
