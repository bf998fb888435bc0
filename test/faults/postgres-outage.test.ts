/**
 * Fault 4: PostgreSQL is unreachable for a while during settlement. bet-maker (in this process) reaches
 * PostgreSQL through a TCP proxy that resets every connection and refuses new ones until it is told to
 * forward again; the test's own pool goes straight to PostgreSQL.
 */
import test, { type ExecutionContext } from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import {
  betCounts,
  freshDatabase,
  hostPort,
  insertPendingBets,
  keepCluster,
  unsettled,
  viaPort,
} from '../helpers/faults/database.js';
import { readyz } from '../helpers/faults/http.js';
import {
  caughtUpWith,
  metricValue,
  startBetMaker,
  startProvider,
  watcherState,
  type BetMaker,
} from '../helpers/faults/in-process.js';
import { assertInvariants, installSettlementAudit } from '../helpers/faults/invariants.js';
import { TcpProxy } from '../helpers/faults/tcp-proxy.js';
import { waitFor } from '../helpers/faults/wait-for.js';

keepCluster(test);

async function setUp(t: ExecutionContext, batchSize: number) {
  const { url, sql } = await freshDatabase(t);
  const pgProxy = await TcpProxy.start(hostPort(url));
  t.teardown(() => pgProxy.close());
  const lp = await startProvider(t);
  // Production-like backoff (scaled down): the outages below last a few seconds of retries.
  const bm = await startBetMaker(t, viaPort(url, pgProxy.port), lp.address, {
    settlementBatchSize: batchSize,
    backoffMinMs: 50,
    backoffMaxMs: 800,
  });
  await watcherState(bm, 'live');
  return { sql, pgProxy, lp, bm, ledger: new BetLedger() };
}

const logged = (bm: BetMaker, msg: string) => bm.logs.filter((l) => l.msg === msg).length;

test.serial(
  'when PostgreSQL is unreachable as an event finishes, then the change is retried until applied and its bets settle',
  async (t) => {
    const { sql, pgProxy, lp, bm, ledger } = await setUp(t, 500);
    await lp.open('pg-down-finish');
    await lp.open('pg-down-open');
    await caughtUpWith(bm, lp);
    for (let i = 0; i < 10; i++) await ledger.mustPlace(bm.base, i % 2 ? 'pg-down-finish' : 'pg-down-open');
    await insertPendingBets(sql, 'pg-down-finish', 5_000);
    await installSettlementAudit(sql);

    pgProxy.refuse();
    await lp.finish('pg-down-finish', true);
    const retriesBefore = await metricValue(bm, 'applyRetries');
    await waitFor(async () => (await metricValue(bm, 'applyRetries')) >= retriesBefore + 6, {
      timeoutMs: 15_000,
      message: 'the watcher retrying the finish',
    });
    const down = await readyz(bm.base);
    t.is(down.status, 503);
    t.like(down.body.checks, { database: 'unreachable' });
    pgProxy.forward();

    await caughtUpWith(bm, lp);
    await waitFor(async () => (await unsettled(sql, ['pg-down-finish'])) === 0, {
      timeoutMs: 30_000,
      message: 'bets of the event settled once PostgreSQL is back',
    });
    t.deepEqual(await betCounts(sql, 'pg-down-finish'), { WON: 5_005 });
    await waitFor(async () => (await readyz(bm.base)).status === 200, { timeoutMs: 10_000 });
    await assertInvariants(t, sql, ledger.accepted);
  },
);

test.serial(
  'when PostgreSQL goes away in the middle of a settlement, then the settlement resumes and completes once it is back',
  async (t) => {
    const { sql, pgProxy, lp, bm, ledger } = await setUp(t, 200);
    await lp.open('pg-mid');
    await caughtUpWith(bm, lp);
    for (let i = 0; i < 10; i++) await ledger.mustPlace(bm.base, 'pg-mid', '3.00');
    await insertPendingBets(sql, 'pg-mid', 20_000);
    await installSettlementAudit(sql);

    await lp.finish('pg-mid', false);
    await waitFor(
      async () =>
        ((await sql.query(`SELECT 1 FROM bets WHERE event_id = 'pg-mid' AND status = 'LOST' LIMIT 1`))
          .rowCount ?? 0) > 0,
      { timeoutMs: 15_000, intervalMs: 5, message: 'the first settled batch' },
    );
    pgProxy.refuse();
    await waitFor(() => logged(bm, 'settlement failed; will retry') >= 6, {
      timeoutMs: 15_000,
      message: 'the settler failing and retrying',
    });
    const during = await betCounts(sql, 'pg-mid');
    t.log('while PostgreSQL was away:', during);
    t.true((during.PENDING ?? 0) > 0, 'the outage began before the settlement ended');
    pgProxy.forward();

    await waitFor(async () => (await unsettled(sql, ['pg-mid'])) === 0, {
      timeoutMs: 30_000,
      message: 'the settlement completed once PostgreSQL is back',
    });
    t.deepEqual(await betCounts(sql, 'pg-mid'), { LOST: 20_010 });
    await assertInvariants(t, sql, ledger.accepted);
  },
);

test.serial(
  'when the network to PostgreSQL drops packets for a while, then the stalled work continues once it heals',
  async (t) => {
    const { sql, pgProxy, lp, bm, ledger } = await setUp(t, 500);
    await lp.open('pg-partition');
    await caughtUpWith(bm, lp);
    for (let i = 0; i < 10; i++) await ledger.mustPlace(bm.base, 'pg-partition', '4.00');
    await insertPendingBets(sql, 'pg-partition', 5_000);
    await installSettlementAudit(sql);

    // Open connections freeze and new ones hang: nothing fails fast, queries just wait.
    pgProxy.hold();
    await lp.finish('pg-partition', true);
    const stalled = await waitFor(
      async () => {
        const r = await readyz(bm.base);
        return r.body.checks?.database === 'unreachable' && r;
      },
      { timeoutMs: 15_000, message: '/readyz reporting the database unreachable' },
    );
    t.is(stalled.status, 503);
    t.deepEqual(await betCounts(sql, 'pg-partition'), { PENDING: 5_010 });
    pgProxy.forward();

    await caughtUpWith(bm, lp, 30_000);
    await waitFor(async () => (await unsettled(sql, ['pg-partition'])) === 0, {
      timeoutMs: 30_000,
      message: 'bets settled once the network healed',
    });
    t.deepEqual(await betCounts(sql, 'pg-partition'), { WON: 5_010 });
    await waitFor(async () => (await readyz(bm.base)).status === 200, { timeoutMs: 15_000 });
    await assertInvariants(t, sql, ledger.accepted);
  },
);
