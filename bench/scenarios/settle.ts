import { progress, sleep, waitFor } from '../lib/concurrency.js';
import { createEvents } from '../lib/grpc.js';
import { PENDING_BETS_SQL, generate, settleTables } from '../lib/datagen.js';
import { describeFailures } from '../lib/http-load.js';
import { runPaced, startPaced, type PacedLoad, type PacedResult } from '../lib/paced-load.js';
import { startStack, waitCaughtUp } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import type { Scenario } from '../lib/types.js';
import { pick3 } from './shared.js';

/**
 * Scenario 3: 1,000,000 pending bets on one event, then UpdateEventStatus; seconds from the call until no
 * bet of it is PENDING (bet-maker marks the event settled exactly then), against one raw SQL UPDATE of
 * another 1,000,000 identical rows in the same database. Meanwhile a steady POST /bet load on other
 * events measures what settling costs everyone else: its p99 against the same load while idle.
 */
export const settle: Scenario = async (ctx) => {
  const s = ctx.options.sizes.settle;
  const stack = await startStack(ctx, 'settle');
  try {
    const others = await createEvents(stack.provider, 'st-other', 100);
    const [big, raw] = await createEvents(stack.provider, 'st-big', 2);
    if (big === undefined || raw === undefined) throw new Error('no events');
    await waitCaughtUp(stack, 102);
    await generate(stack.db.pool, `pending bets on ${big}`, s.bets, PENDING_BETS_SQL(big));
    await generate(stack.db.pool, `pending bets on ${raw} (baseline)`, s.bets, PENDING_BETS_SQL(raw));
    await settleTables(stack.db.pool);

    const betLoad = (durationS: number): PacedLoad => ({
      url: stack.base,
      connections: s.loadConnections,
      durationS,
      ratePerS: s.loadRate,
      method: 'POST',
      path: '/bet',
      headers: { 'content-type': 'application/json' },
      body: () => `{"event_id":"${others[Math.floor(Math.random() * others.length)] ?? ''}","amount":"5.00"}`,
    });
    /** Runs `work` with the POST /bet load going on from a second before it until it ends. */
    const alongside = async <T>(work: () => Promise<T>): Promise<{ result: T; bets: PacedResult }> => {
      const load = startPaced(betLoad(3_600));
      let result: T;
      try {
        await sleep(1_000);
        result = await work();
      } finally {
        load.stop();
      }
      return { result, bets: await load.done };
    };
    // The same POST /bet load runs during the baseline's UPDATE as during the settlement: both pay for it alike,
    // and its tail during the UPDATE tells what any big write costs the bets, whoever makes it.
    progress(
      `baseline: one UPDATE of ${s.bets.toLocaleString('en-US')} rows, POST /bet at ${s.loadRate}/s alongside`,
    );
    const { result: rawS, bets: busyRaw } = await alongside(async () => {
      const t0 = performance.now();
      const upd = await stack.db.pool.query(
        `UPDATE bets SET status = 'WON', settled_at = now() WHERE event_id = $1 AND status = 'PENDING'`,
        [raw],
      );
      const seconds = (performance.now() - t0) / 1000;
      progress(`baseline: ${upd.rowCount} rows in ${seconds.toFixed(2)} s`);
      return seconds;
    });
    await settleTables(stack.db.pool);

    progress(`POST /bet at ${s.loadRate}/s on other events, idle, ${s.idleS} s`);
    const idle = await runPaced(betLoad(s.idleS));

    progress(`settling ${s.bets.toLocaleString('en-US')} bets with POST /bet at ${s.loadRate}/s alongside`);
    const {
      result: { sent, answered, settledAt },
      bets: busy,
    } = await alongside(async () => {
      const sent = Date.now();
      await stack.provider.finish(big, true);
      const answered = Date.now();
      let settledAt = 0;
      await waitFor(
        `${big} to be settled`,
        async () => {
          const res = await stack.db.pool.query<{ at: Date | null }>(
            'SELECT settled_at AS at FROM events WHERE id = $1',
            [big],
          );
          settledAt = Date.now();
          return (res.rows[0]?.at ?? null) !== null;
        },
        30 * 60_000,
        20,
      );
      return { sent, answered, settledAt };
    });
    const productS = (settledAt - sent) / 1000;
    const left = await stack.db.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM bets WHERE event_id = $1 AND status <> 'WON'`,
      [big],
    );
    const notWon = Number(left.rows[0]?.n ?? -1);
    progress(`settled in ${productS.toFixed(2)} s; bets not WON: ${notWon}`);
    return {
      id: 'settle',
      title: `settle ${s.bets.toLocaleString('en-US')} pending bets of one event`,
      rows: [
        {
          metric: 'seconds until no bet is PENDING',
          value: round(productS),
          unit: 's',
          baseline: round(rawS),
          baselineLabel: 'one raw SQL UPDATE of the same number of rows',
          target: { on: 'ratio', op: '<=', limit: 1.5 },
        },
        {
          metric: `POST /bet p99 during settlement (${s.loadRate}/s)`,
          value: round(busy.latency.p99),
          unit: 'ms',
          baseline: round(idle.latency.p99),
          baselineLabel: 'same load while idle',
          target: { on: 'ratio', op: '<=', limit: 2 },
        },
        {
          metric: 'bets of the event not WON afterwards',
          value: notWon,
          unit: '',
          target: { on: 'value', op: '<=', limit: 0 },
        },
        {
          metric: 'POST /bet p99 during the raw UPDATE (for comparison)',
          value: round(busyRaw.latency.p99),
          unit: 'ms',
        },
        { metric: 'RPC answered after', value: answered - sent, unit: 'ms' },
        {
          metric: 'POST /bet errors during settlement and the raw UPDATE',
          value: busy.non2xx + busy.errors + busyRaw.non2xx + busyRaw.errors,
          unit: '',
        },
      ],
      latency: [
        { label: 'POST /bet during settlement', ...pick3(busy.latency), limit: round(2 * idle.latency.p99) },
        { label: 'POST /bet idle (baseline)', ...pick3(idle.latency), baseline: true },
        { label: 'POST /bet during the raw UPDATE', ...pick3(busyRaw.latency) },
      ],
      throughput: [
        {
          label: 'settle',
          unit: 's',
          product: round(productS),
          baseline: round(rawS),
          baselineLabel: 'raw UPDATE',
          lowerIsBetter: true,
        },
      ],
      notes: [
        ...describeFailures('failed POST /bet during settlement', busy),
        ...describeFailures('failed POST /bet during the raw UPDATE', busyRaw),
      ],
      details: {
        bets: s.bets,
        idle: idle.latency,
        during: busy.latency,
        duringRawUpdate: busyRaw.latency,
        betsDuring: busy.ok,
        driverLateness: {
          idle: idle.issueLateness,
          during: busy.issueLateness,
          duringRawUpdate: busyRaw.issueLateness,
        },
      },
    };
  } finally {
    await stack.stop();
  }
};
