/**
 * Fault 7: line-provider freezes (SIGSTOP: its sockets stay open, nothing answers). bet-maker must notice
 * within its watchdog/keepalive window, turn not-ready, and recover after SIGCONT. line-provider is a
 * child process; bet-maker runs in this process with short keepalive and watchdog settings.
 */
import test from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import { freshDatabase, keepCluster, unsettled } from '../helpers/faults/database.js';
import { readyz, waitForReadyz } from '../helpers/faults/http.js';
import { metricValue, startBetMaker, watcherState } from '../helpers/faults/in-process.js';
import { assertInvariants } from '../helpers/faults/invariants.js';
import { startLineProviderProcess } from '../helpers/faults/services.js';
import { waitFor } from '../helpers/faults/wait-for.js';
import { EventStatus, lineProviderClient } from '../helpers/grpc.js';

keepCluster(test);

/** Watchdog 1.5 s (heartbeats every 300 ms), keepalive ping every 1 s with 1 s to answer. */
const WINDOW_MS = 1_500;

test('when line-provider freezes, then bet-maker turns not-ready within the watchdog window and recovers after it resumes', async (t) => {
  const { url, sql } = await freshDatabase(t);
  const lp = await startLineProviderProcess(t, {
    LINE_PROVIDER_HEARTBEAT_MS: '300',
    LINE_PROVIDER_KEEPALIVE_TIME_MS: '1000',
    LINE_PROVIDER_KEEPALIVE_TIMEOUT_MS: '1000',
    LINE_PROVIDER_KEEPALIVE_MIN_PING_MS: '500',
    LINE_PROVIDER_METRICS_PORT: '0',
  });
  const target = `127.0.0.1:${lp.port}`;
  const admin = lineProviderClient(target);
  t.teardown(() => admin.close());
  await admin.createEvent('frozen-win', '1.80', new Date(Date.now() + 3_600_000));
  await admin.createEvent('frozen-open', '2.10', new Date(Date.now() + 3_600_000));

  const bm = await startBetMaker(t, url, target, {
    keepaliveTimeMs: 1_000,
    keepaliveTimeoutMs: 1_000,
    watchIdleTimeoutMs: WINDOW_MS,
    backoffMinMs: 50,
    backoffMaxMs: 500,
  });
  await watcherState(bm, 'live');
  await waitForReadyz(bm.base, 200);
  const ledger = new BetLedger();
  for (let i = 0; i < 5; i++) {
    await ledger.mustPlace(bm.base, 'frozen-win', '4.00');
    await ledger.mustPlace(bm.base, 'frozen-open', '1.00');
  }

  const stoppedAt = Date.now();
  lp.proc.signal('SIGSTOP');
  await watcherState(bm, 'disconnected', 10_000);
  const noticedMs = Date.now() - stoppedAt;
  const frozen = await readyz(bm.base);
  t.is(frozen.status, 503);
  t.not(frozen.body.checks?.event_stream, 'live');
  t.log(`noticed the freeze after ${noticedMs} ms`);
  t.true(noticedMs < WINDOW_MS + 2_000, `noticed after ${noticedMs} ms`);
  t.true((await metricValue(bm, 'reconnects')) >= 1);

  const resumedAt = Date.now();
  lp.proc.signal('SIGCONT');
  await watcherState(bm, 'live', 30_000);
  await waitForReadyz(bm.base, 200);
  t.log(`live again ${Date.now() - resumedAt} ms after SIGCONT`);

  await admin.finishEvent('frozen-win', EventStatus.EVENT_STATUS_FINISHED_WIN);
  await waitFor(async () => (await unsettled(sql, ['frozen-win'])) === 0, {
    timeoutMs: 15_000,
    message: 'bets settled after the provider resumed',
  });
  await assertInvariants(t, sql, ledger.accepted);
});
