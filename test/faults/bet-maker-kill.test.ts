/**
 * Fault 2: bet-maker is killed (SIGKILL, no shutdown at all) in the middle of settling a large event,
 * then started again. bet-maker is a child process; line-provider runs in this process.
 */
import test from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import {
  betCounts,
  eventsMarkedSettled,
  freshDatabase,
  insertPendingBets,
  keepCluster,
  unsettled,
} from '../helpers/faults/database.js';
import { waitForReadyz } from '../helpers/faults/http.js';
import { startProvider } from '../helpers/faults/in-process.js';
import { assertInvariants, installSettlementAudit } from '../helpers/faults/invariants.js';
import { startBetMakerProcess } from '../helpers/faults/services.js';
import { waitFor } from '../helpers/faults/wait-for.js';

keepCluster(test);

/** Large enough that settling it in batches of 1,000 takes seconds; set-based inserts keep it cheap. */
const BETS = 200_000;

test('when bet-maker is killed while settling a large event, then after a restart every bet is settled once', async (t) => {
  const { url, sql } = await freshDatabase(t);
  const lp = await startProvider(t);
  await lp.open('big');
  await lp.open('small');
  const env = {
    DATABASE_URL: url,
    LINE_PROVIDER_URL: lp.address,
    SETTLEMENT_BATCH_SIZE: '1000',
    SWEEPER_INTERVAL_MS: '1000',
  };
  const first = await startBetMakerProcess(t, env);
  await waitForReadyz(first.base, 200);
  const ledger = new BetLedger();
  for (let i = 0; i < 10; i++) {
    await ledger.mustPlace(first.base, 'big', '5.00');
    await ledger.mustPlace(first.base, 'small', '7.00');
  }
  await insertPendingBets(sql, 'big', BETS);
  await installSettlementAudit(sql);

  await lp.finish('small', false);
  await lp.finish('big', true);
  // Killed as soon as the first batches of the big event are committed.
  await waitFor(
    async () =>
      ((await sql.query(`SELECT 1 FROM bets WHERE event_id = 'big' AND status = 'WON' LIMIT 1`)).rowCount ??
        0) > 0,
    { timeoutMs: 30_000, intervalMs: 10, message: 'the first settled batch' },
  );
  first.proc.signal('SIGKILL');
  t.like(await first.proc.exited, { signal: 'SIGKILL' });
  const atKill = await betCounts(sql, 'big');
  t.log('at the kill:', atKill);
  t.true((atKill.PENDING ?? 0) > 0, 'killed before the settlement was done');

  const second = await startBetMakerProcess(t, env);
  await waitFor(
    async () => (await unsettled(sql, ['big', 'small'])) === 0 && (await eventsMarkedSettled(sql)) === 2,
    {
      timeoutMs: 90_000,
      intervalMs: 100,
      message: async () =>
        `every bet settled after the restart: ${JSON.stringify(await betCounts(sql, 'big'))}`,
    },
  );
  t.deepEqual(await betCounts(sql, 'big'), { WON: BETS + 10 });
  await waitForReadyz(second.base, 200);
  await assertInvariants(t, sql, ledger.accepted);
});
