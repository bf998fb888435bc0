/**
 * Hardening that the faults call for: SIGTERM while a bet is being placed and a large event is being
 * settled. bet-maker must stop taking connections, finish the request in flight (the bet is stored and
 * answered 201), let the settlement batch in flight commit, exit 0, and leave nothing a restart cannot
 * finish. bet-maker is a child process; line-provider runs in this process.
 */
import test from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import {
  betCounts,
  freshDatabase,
  insertPendingBets,
  keepCluster,
  lockEventsTable,
  unsettled,
} from '../helpers/faults/database.js';
import { waitForReadyz } from '../helpers/faults/http.js';
import { startProvider } from '../helpers/faults/in-process.js';
import { assertInvariants, installSettlementAudit } from '../helpers/faults/invariants.js';
import { startBetMakerProcess } from '../helpers/faults/services.js';
import { waitFor } from '../helpers/faults/wait-for.js';
import { canConnect } from '../helpers/process.js';

keepCluster(test);

test('when bet-maker gets SIGTERM during a request and a settlement, then it finishes both and exits 0', async (t) => {
  const { url, sql } = await freshDatabase(t);
  const lp = await startProvider(t);
  await lp.open('term-big');
  await lp.open('term-open');
  const env = {
    DATABASE_URL: url,
    LINE_PROVIDER_URL: lp.address,
    SETTLEMENT_BATCH_SIZE: '500',
    SWEEPER_INTERVAL_MS: '1000',
    // Far longer than the test holds the request, so that only a bug can cut it.
    SHUTDOWN_TIMEOUT_MS: '30000',
  };
  const first = await startBetMakerProcess(t, env);
  await waitForReadyz(first.base, 200);
  const ledger = new BetLedger();
  for (let i = 0; i < 5; i++) {
    await ledger.mustPlace(first.base, 'term-big', '6.00');
    await ledger.mustPlace(first.base, 'term-open', '6.00');
  }
  await insertPendingBets(sql, 'term-big', 50_000);
  await installSettlementAudit(sql);
  await lp.finish('term-big', false);
  await waitFor(
    async () =>
      ((await sql.query(`SELECT 1 FROM bets WHERE event_id = 'term-big' AND status = 'LOST' LIMIT 1`))
        .rowCount ?? 0) > 0,
    { timeoutMs: 30_000, intervalMs: 10, message: 'the first settled batch' },
  );

  // Hold a bet in flight: its insert waits for this lock on the events table.
  const unlock = await lockEventsTable(t, sql);
  const inFlight = ledger.place(first.base, 'term-open', '9.99');
  // Awaited below; this only keeps a failure before that from becoming an unhandled rejection.
  inFlight.catch(() => undefined);
  await waitFor(
    async () =>
      (
        await sql.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND query LIKE 'INSERT INTO bets%'`,
        )
      ).rowCount === 1,
    { timeoutMs: 10_000, message: 'the bet waiting for the lock' },
  );

  first.proc.signal('SIGTERM');
  await first.proc.waitForLog((l) => l.msg === 'shutting down', 10_000, 'shutting down');
  await waitFor(async () => !(await canConnect('127.0.0.1', first.port, 500)), {
    timeoutMs: 5_000,
    message: 'no new connections accepted',
  });
  t.true(first.proc.running, 'still running while the request is in flight');
  await unlock();

  t.is(await inFlight, 201, 'the request in flight was answered');
  t.deepEqual(await first.proc.exited, { code: 0, signal: null });
  t.true(first.proc.lines.some((l) => l.msg === 'bet-maker stopped'));
  const errors = first.proc.lines.filter((l) => (l.level ?? 0) >= 50);
  t.deepEqual(errors, [], 'nothing logged at error level');
  t.log('at exit:', await betCounts(sql, 'term-big'));

  // Whatever the settlement had not reached is finished by the next start.
  await startBetMakerProcess(t, env);
  await waitFor(async () => (await unsettled(sql, ['term-big'])) === 0, {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: 'the rest settled after the restart',
  });
  t.deepEqual(await betCounts(sql, 'term-open'), { PENDING: 6 });
  await assertInvariants(t, sql, ledger.accepted);
});
