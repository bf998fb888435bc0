/**
 * Fault 8: bet-maker's watcher stalls (a test transaction holds a lock on the events table, so applying a
 * change waits) while line-provider publishes thousands of changes. line-provider must end the stream with
 * RESOURCE_EXHAUSTED rather than queue without bound; once unblocked, bet-maker must resync and end with
 * exactly the provider's events. Both services run in this process.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import test from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import { freshDatabase, keepCluster, lockEventsTable, unsettled } from '../helpers/faults/database.js';
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

const QUEUE_LIMIT = 50;

test('when the watcher stalls, then line-provider drops it with bounded memory and bet-maker resyncs to the same events', async (t) => {
  const { url, sql } = await freshDatabase(t);
  const lp = await startProvider(t, { watchQueueLimit: QUEUE_LIMIT, heartbeatMs: 200 });
  await lp.open('slow-win');
  await lp.open('slow-lose');
  const bm = await startBetMaker(t, url, lp.address);
  await watcherState(bm, 'live');
  await caughtUpWith(bm, lp);
  await installSettlementAudit(sql);
  const ledger = new BetLedger();
  for (let i = 0; i < 5; i++) {
    await ledger.mustPlace(bm.base, 'slow-win', '2.00');
    await ledger.mustPlace(bm.base, 'slow-lose', '2.00');
  }

  // Every write of the watcher to the events table now waits for this transaction.
  const unlock = await lockEventsTable(t, sql);

  await lp.finish('slow-win', true);
  let created = 0;
  // One change per turn of the event loop, so that a reading client keeps up; the stalled one cannot.
  while (lp.app.watchers.metrics.dropped === 0 && created < 60_000) {
    await lp.open(`flood-${created++}`);
    await yieldToIo();
  }
  await lp.finish('slow-lose', false);
  t.log(`line-provider dropped the watcher after ${created} changes`, lp.app.watchers.metrics);
  t.is(lp.app.watchers.metrics.dropped, 1);
  t.true(lp.app.watchers.metrics.maxQueueDepth <= QUEUE_LIMIT, 'the per-watcher queue stayed bounded');

  await unlock();
  await waitFor(async () => (await metricValue(bm, 'reconnects', { reason: 'resource_exhausted' })) >= 1, {
    timeoutMs: 30_000,
    message: 'bet-maker seeing RESOURCE_EXHAUSTED',
  });
  await caughtUpWith(bm, lp, 30_000);
  await watcherState(bm, 'live');

  const mirrored = await sql.query<{ id: string; status: string; revision: string; coefficient: string }>(
    `SELECT id, status, revision::text AS revision, coefficient::text AS coefficient FROM events`,
  );
  const provider = new Map(lp.app.store.all().map((e) => [e.eventId, e]));
  t.is(mirrored.rows.length, provider.size);
  const differences = mirrored.rows.filter((row) => {
    const e = provider.get(row.id);
    return (
      e?.status !== row.status || String(e.revision) !== row.revision || e.coefficient !== row.coefficient
    );
  });
  t.deepEqual(differences, [], 'events that differ from the provider');

  await waitFor(async () => (await unsettled(sql, ['slow-win', 'slow-lose'])) === 0, {
    timeoutMs: 15_000,
    message: 'bets settled',
  });
  await assertInvariants(t, sql, ledger.accepted);
});
