import { progress } from '../lib/concurrency.js';
import { createEvents } from '../lib/grpc.js';
import { addFailures, describeFailures, runLoad } from '../lib/http-load.js';
import { rawInserts } from '../lib/raw-insert.js';
import { cpuMeter } from '../lib/services.js';
import { startStack, waitCaughtUp } from '../lib/stack.js';
import { Recorder, round } from '../lib/stats.js';
import type { Scenario } from '../lib/types.js';
import { pick3 } from './shared.js';

/**
 * Scenario 1: POST /bet with 64 connections over 10,000 open events, against the same number of pg clients
 * inserting the same bet row one statement (one commit) at a time. Product and baseline alternate in
 * rounds so that a change of background load hits both alike.
 */
export const placeBets: Scenario = async (ctx) => {
  const s = ctx.options.sizes.placeBets;
  const rounds = ctx.options.quick ? 1 : 3;
  const stack = await startStack(ctx, 'place-bets');
  try {
    const ids = await createEvents(stack.provider, 'pb', s.events);
    await waitCaughtUp(stack, s.events);
    const pick = () => ids[Math.floor(Math.random() * ids.length)] ?? 'pb-0';
    const load = (durationS: number, recorder?: Recorder) =>
      runLoad({
        url: stack.base,
        connections: s.connections,
        durationS,
        method: 'POST',
        path: '/bet',
        headers: { 'content-type': 'application/json' },
        body: () => `{"event_id":${JSON.stringify(pick())},"amount":"10.00"}`,
        ...(recorder ? { recorder } : {}),
      });
    progress(`warm-up ${s.warmupS} s each`);
    await load(s.warmupS);
    await rawInserts(stack.db.url, s.connections, s.warmupS, pick);

    const perRound = s.durationS / rounds;
    const baseRec = new Recorder();
    const prodRec = new Recorder();
    const base = { n: 0, s: 0 };
    const prod = { n: 0, s: 0, failed: 0, failures: {} as Record<string, number> };
    const cpu: Record<string, number>[] = [];
    for (let r = 1; r <= rounds; r++) {
      progress(`round ${r}/${rounds}: raw INSERT baseline, ${perRound} s`);
      const b = await rawInserts(stack.db.url, s.connections, perRound, pick, baseRec);
      base.n += b.inserted;
      base.s += b.durationS;
      progress(`round ${r}/${rounds}: POST /bet, ${perRound} s (${round(b.rps)} inserts/s)`);
      const meter = cpuMeter({ betMaker: stack.bm.pid, bench: process.pid });
      const p = await load(perRound, prodRec);
      cpu.push(meter());
      prod.n += p.ok;
      prod.s += p.durationS;
      prod.failed += p.non2xx + p.errors;
      addFailures(prod.failures, p.failures);
      progress(
        `round ${r}/${rounds}: ${round(p.rps)} bets/s, p99 ${round(p.latency.p99)} ms; CPU ${JSON.stringify(cpu.at(-1))}`,
      );
    }
    const latency = prodRec.summary();
    const baseLat = baseRec.summary();
    const rps = prod.n / prod.s;
    const baseRps = base.n / base.s;
    return {
      id: 'place-bets',
      title: `POST /bet, ${s.connections} connections, ${s.events.toLocaleString('en-US')} open events`,
      rows: [
        {
          metric: 'throughput',
          value: round(rps),
          unit: 'req/s',
          baseline: round(baseRps),
          baselineLabel: 'raw single-row INSERT, pg, same concurrency',
          target: { on: 'ratio', op: '>=', limit: 1.0 },
        },
        { metric: 'p50', value: round(latency.p50), unit: 'ms', baseline: round(baseLat.p50) },
        {
          metric: 'p99',
          value: round(latency.p99),
          unit: 'ms',
          baseline: round(baseLat.p99),
          target: { on: 'value', op: '<=', limit: 25 },
        },
        { metric: 'errors and non-2xx answers', value: prod.failed, unit: '' },
      ],
      latency: [
        { label: 'POST /bet', ...pick3(latency), limit: 25 },
        { label: 'raw INSERT (baseline)', ...pick3(baseLat), baseline: true },
      ],
      throughput: [
        {
          label: 'place bets',
          unit: 'req/s',
          product: round(rps),
          baseline: round(baseRps),
          baselineLabel: 'raw INSERT',
        },
      ],
      notes: describeFailures('failed POST /bet', prod),
      details: { rounds, secondsPerRound: perRound, latency, baselineLatency: baseLat, cpuPercent: cpu },
    };
  } finally {
    await stack.stop();
  }
};
