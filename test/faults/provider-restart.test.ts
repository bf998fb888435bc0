/**
 * Fault 3: line-provider is killed (SIGKILL) and started again, with its journal (LINE_PROVIDER_DATA_DIR)
 * and without it. line-provider is a child process behind a TCP proxy (its address stays the same while
 * the restarted process listens on a new port); bet-maker runs in this process. In both cases bet-maker
 * is cut off before the kill, so what finished just before the restart reaches it only through the
 * restarted provider.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { BetLedger } from '../helpers/faults/bets.js';
import { betCounts, freshDatabase, keepCluster, unsettled } from '../helpers/faults/database.js';
import { readyz, scrape, waitForReadyz } from '../helpers/faults/http.js';
import {
  appliedWhere,
  caughtUp,
  startBetMaker,
  watcherState,
  type BetMaker,
} from '../helpers/faults/in-process.js';
import { assertInvariants, installSettlementAudit } from '../helpers/faults/invariants.js';
import { startLineProviderProcess } from '../helpers/faults/services.js';
import { TcpProxy } from '../helpers/faults/tcp-proxy.js';
import { waitFor } from '../helpers/faults/wait-for.js';
import { EventStatus, lineProviderClient, type LineProvider } from '../helpers/grpc.js';

keepCluster(test);

const hourAhead = () => new Date(Date.now() + 3_600_000);

/** A line-provider process with an admin client, restartable behind a proxy that bet-maker dials. */
async function providerBehindProxy(t: ExecutionContext, env: Record<string, string>) {
  const startOne = async () => {
    const lp = await startLineProviderProcess(t, { LINE_PROVIDER_METRICS_PORT: '0', ...env });
    const admin = lineProviderClient(`127.0.0.1:${lp.port}`);
    t.teardown(() => admin.close());
    return { ...lp, admin };
  };
  let current = await startOne();
  const proxy = await TcpProxy.start({ port: current.port });
  t.teardown(() => proxy.close());
  return {
    proxy,
    get admin(): LineProvider {
      return current.admin;
    },
    /** SIGKILL, then a new process with the same environment; the proxy points at it. */
    async restart() {
      current.proc.signal('SIGKILL');
      await current.proc.exited;
      current = await startOne();
      proxy.setTarget(current.port);
    },
  };
}

/** Resolves when bet-maker applied a snapshot from a provider instance other than `instanceId`. */
async function resyncedFromNewInstance(bm: BetMaker, instanceId: string): Promise<string> {
  const at = await appliedWhere(
    bm,
    (p) => p.instanceId !== instanceId,
    'a snapshot of the new provider',
    30_000,
  );
  await watcherState(bm, 'live');
  return at.instanceId;
}

test.serial(
  'when line-provider restarts with its journal, then nothing is lost and events finished just before and after the restart settle',
  async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lp-journal-'));
    t.teardown(() => rm(dataDir, { recursive: true, force: true }));
    const { url, sql } = await freshDatabase(t);
    const lp = await providerBehindProxy(t, { LINE_PROVIDER_DATA_DIR: dataDir });
    for (const id of ['j-before', 'j-after', 'j-open']) await lp.admin.createEvent(id, '1.90', hourAhead());
    const bm = await startBetMaker(t, url, lp.proxy.address, { backoffMinMs: 50, backoffMaxMs: 500 });
    await watcherState(bm, 'live');
    await installSettlementAudit(sql);
    const ledger = new BetLedger();
    for (const id of ['j-before', 'j-after', 'j-open'])
      for (let i = 0; i < 4; i++) await ledger.mustPlace(bm.base, id);
    const before = bm.run.watcher.position()!;

    const down = watcherState(bm, 'disconnected');
    lp.proxy.refuse();
    await down;
    // Answered only once journaled: the kill right after it must not lose it.
    const finished = await lp.admin.finishEvent('j-before', EventStatus.EVENT_STATUS_FINISHED_WIN);
    await lp.restart();
    lp.proxy.forward();
    const instance = await resyncedFromNewInstance(bm, before.instanceId);
    await lp.admin.finishEvent('j-after', EventStatus.EVENT_STATUS_FINISHED_LOSE);
    const afterRestart = await lp.admin.createEvent('j-later', '1.10', hourAhead());
    // Revisions continue where the killed process stopped.
    t.is(Number(afterRestart.revision), Number(finished.revision) + 2);
    await caughtUp(bm, instance, Number(afterRestart.revision));

    await waitFor(async () => (await unsettled(sql, ['j-before', 'j-after'])) === 0, {
      timeoutMs: 15_000,
      message: 'bets of the events finished around the restart settled',
    });
    t.deepEqual(await betCounts(sql, 'j-before'), { WON: 4 });
    t.deepEqual(await betCounts(sql, 'j-after'), { LOST: 4 });
    t.deepEqual(await betCounts(sql, 'j-open'), { PENDING: 4 });
    const ready = await waitForReadyz(bm.base, 200);
    t.is(ready.body.orphaned_bets, 0);
    t.false(
      bm.logs.some((l) => String(l.msg).includes('vanished')),
      'nothing reported as vanished',
    );
    await ledger.mustPlace(bm.base, 'j-open');
    await assertInvariants(t, sql, ledger.accepted);
  },
);

test.serial(
  'when line-provider restarts without a journal, then bets on vanished events stay PENDING and are reported as orphaned',
  async (t) => {
    const { url, sql } = await freshDatabase(t);
    const lp = await providerBehindProxy(t, {});
    for (const id of ['m-finished', 'm-open', 'm-idle']) await lp.admin.createEvent(id, '2.50', hourAhead());
    const bm = await startBetMaker(t, url, lp.proxy.address, { backoffMinMs: 50, backoffMaxMs: 500 });
    await watcherState(bm, 'live');
    await installSettlementAudit(sql);
    const ledger = new BetLedger();
    for (let i = 0; i < 3; i++) {
      await ledger.mustPlace(bm.base, 'm-finished');
      await ledger.mustPlace(bm.base, 'm-open');
    }
    const before = bm.run.watcher.position()!;

    const down = watcherState(bm, 'disconnected');
    lp.proxy.refuse();
    await down;
    // bet-maker never hears of this result: the provider forgets it with everything else.
    await lp.admin.finishEvent('m-finished', EventStatus.EVENT_STATUS_FINISHED_WIN);
    await lp.restart();
    await lp.admin.createEvent('m-new', '1.30', hourAhead());
    lp.proxy.forward();
    await resyncedFromNewInstance(bm, before.instanceId);

    // Not guessed: the bets wait, and the orphans are visible in /readyz, /metrics and the log.
    t.deepEqual(await betCounts(sql, 'm-finished'), { PENDING: 3 });
    t.deepEqual(await betCounts(sql, 'm-open'), { PENDING: 3 });
    const ready = await readyz(bm.base);
    t.is(ready.body.orphaned_bets, 6);
    t.is(await scrape(bm.base, 'betmaker_orphaned_bets'), 6);
    const report = bm.logs.find((l) => String(l.msg).includes('vanished'));
    t.like(report, { count: 3, pendingBets: 6 });
    const orphans = await sql.query(`SELECT id FROM events WHERE orphaned_at IS NOT NULL ORDER BY id`);
    t.deepEqual(
      orphans.rows.map((r: { id: string }) => r.id),
      ['m-finished', 'm-idle', 'm-open'],
    );
    // An orphaned event takes no bets; the new provider's events do.
    t.is(await ledger.place(bm.base, 'm-open'), 409);
    await ledger.mustPlace(bm.base, 'm-new');
    await assertInvariants(t, sql, ledger.accepted);
  },
);
