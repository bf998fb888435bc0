/**
 * Fault 5: three bet-maker replicas on one database settle the same events at the same time (each one's
 * watcher sees every finish, and their sweepers run every 200 ms). All in this process, so that each
 * replica's own count of settled bets can be read; a trigger audits every write to a bet's status.
 */
import test from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import {
  eventsMarkedSettled,
  freshDatabase,
  insertPendingBets,
  keepCluster,
  unsettled,
} from '../helpers/faults/database.js';
import {
  caughtUpWith,
  metricValue,
  startBetMaker,
  startProvider,
  watcherState,
} from '../helpers/faults/in-process.js';
import { assertInvariants, installSettlementAudit } from '../helpers/faults/invariants.js';
import { waitFor } from '../helpers/faults/wait-for.js';

keepCluster(test);

const EVENTS = ['rep-1', 'rep-2', 'rep-3', 'rep-4'];
const BETS_PER_EVENT = 15_000;

test('when three replicas settle the same events, then every bet is settled exactly once', async (t) => {
  const { url, sql } = await freshDatabase(t);
  const lp = await startProvider(t);
  for (const id of EVENTS) await lp.open(id);
  // Started together on an empty database: they also race for the migrations.
  const replicas = await Promise.all(
    [1, 2, 3].map(() =>
      startBetMaker(t, url, lp.address, { settlementBatchSize: 500, sweeperIntervalMs: 200, dbPoolSize: 4 }),
    ),
  );
  for (const bm of replicas) {
    await watcherState(bm, 'live');
    await caughtUpWith(bm, lp);
  }
  const ledger = new BetLedger();
  for (let i = 0; i < 30; i++) {
    const bm = replicas[i % replicas.length];
    await ledger.mustPlace(bm.base, EVENTS[i % EVENTS.length], `${1 + i}.00`);
  }
  for (const id of EVENTS) await insertPendingBets(sql, id, BETS_PER_EVENT);
  await installSettlementAudit(sql);
  const total = EVENTS.length * BETS_PER_EVENT + ledger.accepted.length;

  for (const [i, id] of EVENTS.entries()) await lp.finish(id, i % 2 === 0);
  await waitFor(
    async () => (await unsettled(sql, EVENTS)) === 0 && (await eventsMarkedSettled(sql)) === EVENTS.length,
    { timeoutMs: 60_000, intervalMs: 100, message: 'every event settled' },
  );

  const perReplica = await Promise.all(replicas.map((bm) => metricValue(bm, 'betsSettled')));
  t.log('bets settled by each replica:', perReplica);
  t.is(
    perReplica.reduce((a, b) => a + b, 0),
    total,
    'the replicas together settled each bet once',
  );
  const audit = await sql.query<{ writes: number; bets: number; by: number }>(
    `SELECT count(*)::int AS writes, count(DISTINCT bet_id)::int AS bets, count(DISTINCT by_pid)::int AS by
       FROM settlement_audit`,
  );
  t.like(audit.rows[0], { writes: total, bets: total });
  t.log('database sessions that settled bets:', audit.rows[0]?.by);
  await assertInvariants(t, sql, ledger.accepted);
});
