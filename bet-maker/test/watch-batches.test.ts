import anyTest, { type TestFn } from 'ava';
import { withTestDatabase, type DatabaseContext } from './helpers/database.js';
import { caughtUp, liveHarness, reconnects, settled, stateReached } from './helpers/harness.js';
import { get, postBet } from './helpers/http.js';

const test = anyTest as TestFn<DatabaseContext>;

withTestDatabase(test);

// Every test starts its own provider instance on the shared database, so they run one at a time.
test.serial(
  'when a batch creates an event and updates and finishes another, then bet-maker applies it all and settles the bets',
  async (t) => {
    const h = await liveHarness(t, t.context.db.url, ['batch-a']);
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
    const h = await liveHarness(t, t.context.db.url, ['skip-a']);
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
  const h = await liveHarness(t, t.context.db.url, ['empty-a']);
  const resync = h.fake.nextWatch();
  h.fake.broadcast({ kind: { $case: 'changes', value: { events: [] } } });
  t.is((await resync).resumeInstanceId, '');
  await stateReached(h, 'live');
  t.is(await reconnects(h, 'protocol'), 1);
});

test.serial(
  'when the stream resumes after a cut, then the changes missed meanwhile arrive batched and are applied',
  async (t) => {
    const h = await liveHarness(t, t.context.db.url, ['resume-a']);
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
