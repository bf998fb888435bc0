import { listBets as listBetsSql, type BetFilter } from '../../bet-maker/src/db/bets-repo.js';
import { createCursorCodec } from '../../bet-maker/src/http/cursor.js';
import { progress } from '../lib/concurrency.js';
import { generate, settleTables } from '../lib/datagen.js';
import { describeFailures, runLoad } from '../lib/http-load.js';
import { runPaced } from '../lib/paced-load.js';
import { startStack, type Stack } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import type { Row, Scenario } from '../lib/types.js';
import { pick3 } from './shared.js';

/**
 * Scenario 7: GET /bets over 5,000,000 bets (on 10,000 finished events, generated with set-based SQL).
 * The first page, and deep pages reached with a cursor (a random position among the oldest tenth of the
 * bets for every request), unfiltered and filtered; the query plans of the SQL bet-maker sends are checked
 * with EXPLAIN: an index scan in id order that stops after one page, no sort, no OFFSET.
 */
export const listBets: Scenario = async (ctx) => {
  const s = ctx.options.sizes.listBets;
  // A known cursor key, so that the bench can make cursors for arbitrary positions.
  const secret = 'bench-cursor-secret-0123456789';
  const { encode: encodeCursor } = createCursorCodec(secret);
  const stack = await startStack(ctx, 'list-bets', { betMakerEnv: { CURSOR_SECRET: secret } });
  try {
    await seed(stack, s.events, s.bets);
    const ids = await stack.db.pool.query<{ lo: string; hi: string }>(
      'SELECT min(id)::text AS lo, max(id)::text AS hi FROM bets',
    );
    const lo = Number(ids.rows[0]?.lo ?? 1);
    const hi = Number(ids.rows[0]?.hi ?? 1);
    const deep = () => String(lo + 1_000 + Math.floor(Math.random() * ((hi - lo) / 10)));
    const someEvent = () => `gen-${Math.floor(Math.random() * s.events)}`;

    const plans = {
      first: await explain(stack, { limit: 50 }),
      deep: await explain(stack, { limit: 50, beforeId: deep() }),
      deepByStatus: await explain(stack, { limit: 50, status: 'LOST', beforeId: deep() }),
      byEvent: await explain(stack, { limit: 50, eventId: someEvent() }),
    };
    const planOk = Object.values(plans).every((p) => p.ok);
    for (const [name, p] of Object.entries(plans))
      progress(`plan of ${name}: ${p.ok ? 'ok' : 'NOT OK'}, ${p.executionMs} ms`);

    // Latency at a steady rate well below saturation (requests issued evenly, up to half the connections
    // busy), so that a percentile is the request's own latency and not the queue of a closed loop; then
    // throughput with every connection.
    const paced = async (label: string, pathFn: () => string) => {
      progress(`${label}: ${s.rate} req/s over ${s.connections / 2} connections, ${s.durationS} s`);
      const r = await runPaced({
        url: stack.base,
        connections: s.connections / 2,
        ratePerS: s.rate,
        durationS: s.durationS,
        path: '/bets',
        pathFn,
      });
      progress(`${label}: p50 ${round(r.latency.p50)} ms, p99 ${round(r.latency.p99)} ms`);
      return r;
    };
    const flat = async (label: string, pathFn: () => string) => {
      const r = await runLoad({
        url: stack.base,
        connections: s.connections,
        durationS: s.durationS / 2,
        path: '/bets',
        pathFn,
      });
      progress(
        `${label}, ${s.connections} connections flat out: ${round(r.rps)} req/s, p99 ${round(r.latency.p99)} ms`,
      );
      return r;
    };
    const firstPath = () => '/bets?limit=50';
    const deepPath = () => `/bets?limit=50&cursor=${encodeCursor(deep())}`;
    const deepStatusPath = () => `/bets?status=LOST&limit=50&cursor=${encodeCursor(deep())}`;
    const byEventPath = () => `/bets?event_id=${someEvent()}&limit=50`;
    progress('warm-up: each query for 2 s');
    for (const pathFn of [firstPath, deepPath, deepStatusPath, byEventPath]) {
      await runLoad({ url: stack.base, connections: s.connections / 2, durationS: 2, path: '/bets', pathFn });
    }
    const first = await paced('first page', firstPath);
    const deepPage = await paced('deep page', deepPath);
    const deepStatus = await paced('deep page, status=LOST', deepStatusPath);
    const byEvent = await paced('first page of one event', byEventPath);
    const firstFlat = await flat('first page', firstPath);
    const deepFlat = await flat('deep page', deepPath);
    const failed = [first, deepPage, deepStatus, byEvent, firstFlat, deepFlat].reduce(
      (a, r) => a + r.non2xx + r.errors,
      0,
    );
    const rows: Row[] = [
      {
        metric: `first page p99 (${s.rate} req/s)`,
        value: round(first.latency.p99),
        unit: 'ms',
        target: { on: 'value', op: '<=', limit: 10 },
      },
      {
        metric: `deep page (cursor) p99 (${s.rate} req/s)`,
        value: round(deepPage.latency.p99),
        unit: 'ms',
        target: { on: 'value', op: '<=', limit: 10 },
      },
      { metric: 'deep page, status filter, p99', value: round(deepStatus.latency.p99), unit: 'ms' },
      { metric: 'first page of one event p99', value: round(byEvent.latency.p99), unit: 'ms' },
      {
        metric: `first page, ${s.connections} connections: throughput`,
        value: round(firstFlat.rps),
        unit: 'req/s',
      },
      {
        metric: `first page, ${s.connections} connections: p99`,
        value: round(firstFlat.latency.p99),
        unit: 'ms',
      },
      {
        metric: `deep page, ${s.connections} connections: throughput`,
        value: round(deepFlat.rps),
        unit: 'req/s',
      },
      {
        metric: `deep page, ${s.connections} connections: p99`,
        value: round(deepFlat.latency.p99),
        unit: 'ms',
      },
      {
        metric: 'plans: index scan in id order, no Sort, no OFFSET (1 = yes)',
        value: planOk ? 1 : 0,
        unit: '',
        target: { on: 'value', op: '>=', limit: 1 },
      },
      { metric: 'errors and non-2xx answers', value: failed, unit: '' },
    ];
    return {
      id: 'list-bets',
      title: `GET /bets with ${s.bets.toLocaleString('en-US')} bets`,
      rows,
      latency: [
        { label: 'GET /bets first page', ...pick3(first.latency), limit: 10 },
        { label: 'GET /bets deep page', ...pick3(deepPage.latency), limit: 10 },
        { label: 'deep page, status=LOST', ...pick3(deepStatus.latency) },
        { label: 'first page, event_id=', ...pick3(byEvent.latency) },
      ],
      throughput: [],
      notes: [
        ...describeFailures('failed requests, first page', first),
        ...describeFailures('failed requests, deep page', deepPage),
        ...describeFailures('failed requests, deep page with status', deepStatus),
        ...describeFailures('failed requests, first page of one event', byEvent),
        ...describeFailures('failed requests, first page flat out', firstFlat),
        ...describeFailures('failed requests, deep page flat out', deepFlat),
      ],
      details: {
        bets: s.bets,
        plans,
        latency: {
          first: first.latency,
          deep: deepPage.latency,
          deepStatus: deepStatus.latency,
          byEvent: byEvent.latency,
        },
        driverLateness: [first, deepPage, deepStatus, byEvent].map((r) => r.issueLateness),
        flatOut: {
          first: { rps: firstFlat.rps, latency: firstFlat.latency },
          deep: { rps: deepFlat.rps, latency: deepFlat.latency },
        },
      },
    };
  } finally {
    await stack.stop();
  }
};

/** 10,000 finished, settled events and 5,000,000 settled bets on them, oldest first. */
async function seed(stack: Stack, events: number, bets: number): Promise<void> {
  await stack.db.pool.query(
    `INSERT INTO events (id, coefficient, deadline, status, revision, provider_instance_id, settled_at)
     SELECT 'gen-' || g, 1.75, now() - interval '1 day',
            CASE WHEN g % 2 = 0 THEN 'FINISHED_WIN' ELSE 'FINISHED_LOSE' END, 1, 'bench-seed', now()
       FROM generate_series(0, $1::int - 1) AS g`,
    [events],
  );
  await generate(
    stack.db.pool,
    'settled bets',
    bets,
    `INSERT INTO bets (event_id, amount, coefficient, status, created_at, settled_at)
     SELECT 'gen-' || (g % ${events}), 10.00, 1.75, CASE WHEN g % ${events} % 2 = 0 THEN 'WON' ELSE 'LOST' END,
            now() - make_interval(secs => (${bets} - g) / 100.0), now()
       FROM generate_series($1::int, $2::int) AS g`,
    500_000,
  );
  await settleTables(stack.db.pool);
}

/** EXPLAIN ANALYZE of exactly the SQL bet-maker's listBets sends for `filter`. */
async function explain(stack: Stack, filter: BetFilter) {
  let sql = '';
  let params: readonly unknown[] = [];
  await listBetsSql(
    {
      query: <T>(text: string, values: readonly unknown[] = []) => {
        sql = text;
        params = values;
        return Promise.resolve([] as T[]);
      },
    },
    filter,
  );
  let n = 0;
  const numbered = sql.replace(/\?/g, () => `$${++n}`);
  const res = await stack.db.pool.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${numbered}`,
    params as unknown[],
  );
  const plan = res.rows.map((r) => r['QUERY PLAN']);
  const text = plan.join('\n');
  const ok =
    /Index (Only )?Scan( Backward)? using/.test(text) &&
    !/\bSort\b/.test(text) &&
    !/Seq Scan/.test(text) &&
    !/\bOFFSET\b/i.test(sql);
  const time = /Execution Time: ([\d.]+) ms/.exec(text)?.[1];
  return { ok, executionMs: time === undefined ? undefined : Number(time), plan };
}
