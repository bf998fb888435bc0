/**
 * Fault 6: 64 clients place bets as fast as they can on an event while it finishes. Each bet must be
 * either refused (409) or accepted and then settled, and none accepted after bet-maker recorded the finish.
 */
import test from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import { betCounts, freshDatabase, keepCluster, unsettled } from '../helpers/faults/database.js';
import { caughtUpWith, startBetMaker, startProvider, watcherState } from '../helpers/faults/in-process.js';
import { assertInvariants, installSettlementAudit } from '../helpers/faults/invariants.js';
import { waitFor } from '../helpers/faults/wait-for.js';

keepCluster(test);

const CLIENTS = 64;

test('when 64 clients bet on an event while it finishes, then each bet is refused or settled', async (t) => {
  const { url, sql } = await freshDatabase(t);
  const lp = await startProvider(t);
  await lp.open('storm', { coefficient: '2.35' });
  await lp.open('calm');
  const bm = await startBetMaker(t, url, lp.address, { dbPoolSize: 10 });
  await watcherState(bm, 'live');
  await caughtUpWith(bm, lp);
  await installSettlementAudit(sql);
  const ledger = new BetLedger();
  await ledger.mustPlace(bm.base, 'calm', '1.00');

  let finishCalledAt = Number.POSITIVE_INFINITY;
  const acceptedAfterFinishCall: number[] = [];
  let enough!: () => void;
  const warmedUp = new Promise<void>((resolve) => (enough = resolve));
  // Each client bets until refused; a 409 is the only refusal expected.
  const client = async (n: number) => {
    for (let i = 0; ; i++) {
      const sent = Date.now();
      const status = await ledger.place(
        bm.base,
        'storm',
        `${1 + (n % 9)}.${String(i % 100).padStart(2, '0')}`,
      );
      if (status === 201 && sent > finishCalledAt) acceptedAfterFinishCall.push(n);
      if (ledger.accepted.length >= 400) enough();
      if (status !== 201) return status;
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
  await warmedUp;
  finishCalledAt = Date.now();
  await lp.finish('storm', true);
  const endings = await Promise.all(clients);

  t.deepEqual(new Set(endings), new Set([409]), 'every client ended on a 409');
  t.deepEqual([...ledger.refused.keys()], [409], 'no refusal other than 409');
  t.log(
    `${ledger.on('storm').length} bets accepted, ${acceptedAfterFinishCall.length} of them sent after the finish ` +
      `was called; ${ledger.refused.get(409)} refused`,
  );

  await waitFor(async () => (await unsettled(sql, ['storm'])) === 0, {
    timeoutMs: 20_000,
    message: 'every accepted bet settled',
  });
  t.deepEqual(await betCounts(sql, 'storm'), { WON: ledger.on('storm').length });
  t.deepEqual(await betCounts(sql, 'calm'), { PENDING: 1 });
  await assertInvariants(t, sql, ledger.accepted);
});
