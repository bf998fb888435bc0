/**
 * Fault 1: the event stream is cut, mid-live and mid-snapshot, and events finish while bet-maker is
 * disconnected. Both services run in this process; a TCP proxy between them resets the connection.
 */
import test from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import { freshDatabase, keepCluster, unsettled } from '../helpers/faults/database.js';
import {
  caughtUpWith,
  metricValue,
  startBetMaker,
  startProvider,
  watcherState,
} from '../helpers/faults/in-process.js';
import { assertInvariants, installSettlementAudit } from '../helpers/faults/invariants.js';
import { TcpProxy } from '../helpers/faults/tcp-proxy.js';
import { waitFor, within } from '../helpers/faults/wait-for.js';

keepCluster(test);

const snapshotsApplied = (logs: { msg?: string }[]) =>
  logs.filter((l) => l.msg === 'snapshot applied').length;

test.serial(
  'when the stream is cut mid-live and events finish while bet-maker is disconnected, then it resumes and settles them',
  async (t) => {
    const { url, sql } = await freshDatabase(t);
    const lp = await startProvider(t);
    const proxy = await TcpProxy.start({ port: lp.port });
    t.teardown(() => proxy.close());
    const events = ['live-win', 'live-lose', 'live-open'];
    for (const id of events) await lp.open(id);
    const bm = await startBetMaker(t, url, proxy.address);
    await watcherState(bm, 'live');
    await caughtUpWith(bm, lp);
    await installSettlementAudit(sql);
    const ledger = new BetLedger();
    for (const id of events) for (let i = 1; i <= 5; i++) await ledger.mustPlace(bm.base, id, `${i}.25`);

    const down = watcherState(bm, 'disconnected');
    proxy.refuse();
    await down;
    await lp.finish('live-win', true);
    await lp.finish('live-lose', false);
    proxy.forward();

    await caughtUpWith(bm, lp);
    await waitFor(async () => (await unsettled(sql, ['live-win', 'live-lose'])) === 0, {
      timeoutMs: 15_000,
      message: 'bets of the events finished while disconnected settled',
    });
    // It resumed from its revision: no second snapshot was needed.
    t.is(snapshotsApplied(bm.logs), 1);
    t.true((await metricValue(bm, 'reconnects')) >= 1);
    await assertInvariants(t, sql, ledger.accepted);
  },
);

test.serial(
  'when a snapshot is cut midway, then none of it is applied and the next snapshot settles what finished meanwhile',
  async (t) => {
    const { url, sql } = await freshDatabase(t);
    // A ring of 8 changes: after the outage below the provider cannot resume, it must send a snapshot.
    const lp = await startProvider(t, { changeRingSize: 8, snapshotChunkSize: 100 });
    for (let i = 0; i < 3000; i++) await lp.open(`filler-${i}`);
    for (const id of ['snap-win', 'snap-lose']) await lp.open(id);
    const proxy = await TcpProxy.start({ port: lp.port });
    t.teardown(() => proxy.close());
    const bm = await startBetMaker(t, url, proxy.address);
    await watcherState(bm, 'live');
    await caughtUpWith(bm, lp);
    await installSettlementAudit(sql);
    const ledger = new BetLedger();
    for (let i = 0; i < 5; i++) {
      await ledger.mustPlace(bm.base, 'snap-win', '2.00');
      await ledger.mustPlace(bm.base, 'snap-lose', '3.00');
    }

    const down = watcherState(bm, 'disconnected');
    proxy.refuse();
    await down;
    await lp.finish('snap-win', true);
    await lp.finish('snap-lose', false);
    for (let i = 0; i < 10; i++) await lp.open(`later-${i}`);
    // About 3,000 events of some 40 bytes each: a cut after 40 kB is well inside the snapshot.
    proxy.cutNextAfterBytes(40_000);
    const cut = within(
      new Promise<void>((resolve) => proxy.on('cut', (why) => why === 'cutAfterBytes' && resolve())),
      15_000,
      'the snapshot cut',
    );
    proxy.forward();
    await cut;

    await caughtUpWith(bm, lp);
    await waitFor(async () => (await unsettled(sql, ['snap-win', 'snap-lose'])) === 0, {
      timeoutMs: 15_000,
      message: 'bets of the events finished while disconnected settled',
    });
    // The first snapshot, then only the complete one after the cut: a partial snapshot is never applied.
    t.is(snapshotsApplied(bm.logs), 2);
    t.true((await metricValue(bm, 'reconnects')) >= 2);
    const mirrored = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`);
    t.is(mirrored.rows[0]?.n, lp.app.store.size);
    await assertInvariants(t, sql, ledger.accepted);
  },
);
