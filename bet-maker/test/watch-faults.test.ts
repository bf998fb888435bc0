import anyTest, { type TestFn } from 'ava';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { withTestDatabase, type DatabaseContext } from './helpers/database.js';
import { FakeLineProvider } from './helpers/fake-line-provider.js';
import {
  caughtUp,
  liveHarness,
  reconnects,
  settled,
  startHarness,
  stateReached,
  type Harness,
} from './helpers/harness.js';
import { get, postBet } from './helpers/http.js';

const test = anyTest as TestFn<DatabaseContext>;

interface Bet {
  bet_id: string;
  status: string;
}

withTestDatabase(test);

const betStatus = async (h: Harness, id: string) => (await get<Bet>(h.base, `/bets/${id}`)).body.status;

// Every test starts its own provider instance on the shared database, so they run one at a time.
test.serial(
  'when the stream is cut mid-live and the event finishes meanwhile, then it resumes and settles',
  async (t) => {
    const h = await liveHarness(t, t.context.db.url, ['cut-live']);
    const bet = (await postBet<Bet>(h.base, { event_id: 'cut-live', amount: 4 })).body;
    const resumed = h.fake.nextWatch();
    const done = settled(h, 'cut-live');
    h.fake.cutAll();
    h.fake.finish('cut-live', true);
    const req = await resumed;
    t.is(req.resumeInstanceId, h.fake.instanceId);
    t.is(req.resumeRevision, String(h.fake.revision - 1n));
    await done;
    t.is(await betStatus(h, bet.bet_id), 'WON');
    t.is(await reconnects(h, 'unavailable'), 1);
  },
);

test.serial(
  'when the snapshot is cut midway after a provider restart, then the retry still settles',
  async (t) => {
    const h = await liveHarness(t, t.context.db.url, ['snap-a', 'snap-b', 'snap-c', 'snap-d', 'snap-e']);
    const bet = (await postBet<Bet>(h.base, { event_id: 'snap-c', amount: 4 })).body;
    const done = settled(h, 'snap-c');
    h.fake.script({ cutAfterChunks: 1 });
    const cut = h.fake.nextWatch();
    h.fake.restart(true);
    h.fake.finish('snap-c', false);
    await cut;
    await done;
    t.is(await betStatus(h, bet.bet_id), 'LOST');
    t.true(h.fake.watchRequests.length >= 3);
    t.is(h.run.watcher.position()?.instanceId, h.fake.instanceId);
    t.is((await get(h.base, '/readyz')).status, 200);
  },
);

test.serial('when a change skips a revision, then bet-maker resyncs from a snapshot', async (t) => {
  const h = await liveHarness(t, t.context.db.url, ['gap-a']);
  const resync = h.fake.nextWatch();
  const skipped = {
    eventId: 'gap-b',
    coefficient: '2.00',
    deadline: new Date(Date.now() + 60_000),
    status: 1,
    revision: String(h.fake.revision + 2n),
  };
  h.fake.broadcast({ kind: { $case: 'change', value: { event: skipped } } });
  const req = await resync;
  t.is(req.resumeInstanceId, '');
  await stateReached(h, 'live');
  t.is(await reconnects(h, 'gap'), 1);
  // gap-b was never really published: the snapshot does not have it, and it was not applied.
  const row = await t.context.sql.query(`SELECT 1 FROM events WHERE id = 'gap-b'`);
  t.is(row.rowCount, 0);
});

test.serial('when a heartbeat is ahead of what was applied, then bet-maker resyncs', async (t) => {
  const h = await liveHarness(t, t.context.db.url, ['hb-a']);
  const resync = h.fake.nextWatch();
  h.fake.revision += 1n;
  h.fake.heartbeat();
  t.is((await resync).resumeInstanceId, '');
});

test.serial('when heartbeats arrive in order, then the stream stays up', async (t) => {
  const h = await liveHarness(t, t.context.db.url, ['hb-ok']);
  const applied = new Promise((r) => h.run.watcher.once('applied', r));
  h.fake.heartbeat();
  h.fake.put({ id: 'hb-ok-2' });
  await applied;
  h.fake.heartbeat();
  await caughtUp(h);
  t.is(h.fake.watchRequests.length, 1);
});

test.serial('when the stream goes silent, then the watchdog cancels it and reconnects', async (t) => {
  const fake = await FakeLineProvider.start();
  const h = await startHarness(t.context.db.url, { fake, config: { watchIdleTimeoutMs: 200 } });
  t.teardown(async () => {
    await h.stop();
    await fake.stop();
  });
  await fake.nextWatch();
  await fake.nextWatch();
  t.true((await reconnects(h, 'watchdog')) >= 1);
});

test.serial('when the provider ends the stream as a slow consumer, then bet-maker resumes', async (t) => {
  const h = await liveHarness(t, t.context.db.url, ['slow-a']);
  const next = h.fake.nextWatch();
  h.fake.cutAll(status.RESOURCE_EXHAUSTED);
  t.is((await next).resumeInstanceId, h.fake.instanceId);
  await stateReached(h, 'live');
  t.is(await reconnects(h, 'resource_exhausted'), 1);
});

test.serial(
  'when the provider is gone, then /readyz turns 503, bets are suspended and the known events are still listed',
  async (t) => {
    const h = await liveHarness(t, t.context.db.url, ['gone-a']);
    const down = stateReached(h, 'disconnected');
    await h.fake.stop();
    await down;
    const ready = await get<{ checks: { event_stream: string } }>(h.base, '/readyz');
    t.is(ready.status, 503);
    t.not(ready.body.checks.event_stream, 'live');
    t.is((await postBet(h.base, { event_id: 'gone-a', amount: 1 })).status, 503);
    t.is((await get(h.base, '/events')).status, 200);
  },
);

test.serial(
  'when the database refuses a change, then it is retried until applied, never skipped',
  async (t) => {
    const { sql } = t.context;
    await sql.query(`CREATE TABLE IF NOT EXISTS fail_switch (on_id text PRIMARY KEY)`);
    await sql.query(`CREATE OR REPLACE FUNCTION fail_events() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM fail_switch WHERE on_id = NEW.id) THEN RAISE EXCEPTION 'injected failure'; END IF;
      RETURN NEW;
    END $$`);
    await sql.query(`CREATE OR REPLACE TRIGGER fail_events BEFORE INSERT OR UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION fail_events()`);
    t.teardown(() => sql.query('DROP TRIGGER fail_events ON events').then(() => undefined));
    await sql.query(`INSERT INTO fail_switch VALUES ('db-fail')`);

    let failed!: () => void;
    const retrying = new Promise<void>((r) => (failed = r));
    const logger = pino(
      { level: 'warn' },
      {
        write: (line: string) => line.includes('applying events to the database failed') && failed(),
      },
    );
    const fake = await FakeLineProvider.start();
    const h = await startHarness(t.context.db.url, { fake, deps: { logger } });
    t.teardown(async () => {
      await h.stop();
      await fake.stop();
    });
    await caughtUp(h);
    fake.put({ id: 'db-fail' });
    await retrying;
    // Database first, then the cache: while the write fails, the event is not served either.
    t.deepEqual((await get<unknown[]>(h.base, '/events')).body, []);
    await sql.query(`DELETE FROM fail_switch`);
    await caughtUp(h);
    const row = await sql.query(`SELECT status FROM events WHERE id = 'db-fail'`);
    t.is(row.rowCount, 1);
    t.true(((await h.app.metrics.applyRetries.get()).values[0]?.value ?? 0) >= 1);
  },
);

test.serial(
  'when the event feed is down, then POST /bet is refused with 503 and stores nothing, and works once it is live',
  async (t) => {
    const h = await liveHarness(t, t.context.db.url, ['feed-down']);
    h.fake.script({ holdSnapshot: true, noResume: true });
    const reconnected = h.fake.nextWatch();
    h.fake.cutAll();
    await reconnected;
    t.not(h.run.watcher.state, 'live');

    const refused = await postBet<{ type: string }>(h.base, { event_id: 'feed-down', amount: 5 });
    t.is(refused.status, 503);
    t.is(refused.body.type, 'urn:bet-maker:problem:feed_down');
    t.is(refused.headers.get('retry-after'), '1');
    const stored = await t.context.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM bets WHERE event_id = 'feed-down'",
    );
    t.is(stored.rows[0].n, 0);

    const isLive = stateReached(h, 'live');
    h.fake.releaseSnapshot();
    await isLive;
    t.is((await postBet(h.base, { event_id: 'feed-down', amount: 5 })).status, 201);
  },
);
