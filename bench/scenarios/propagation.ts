import { forEachLimit, progress, sleep } from '../lib/concurrency.js';
import { createEvents } from '../lib/grpc.js';
import { startStack, waitCaughtUp } from '../lib/stack.js';
import { Recorder, round } from '../lib/stats.js';
import type { Scenario } from '../lib/types.js';
import { pick3 } from './shared.js';

/**
 * Scenario 4: events with 10 bets each are finished one after another; for each, the time from the
 * UpdateEventStatus answer until GET /bets?event_id= shows all its bets WON (polled every 2 ms).
 */
export const propagation: Scenario = async (ctx) => {
  const s = ctx.options.sizes.propagation;
  const stack = await startStack(ctx, 'propagation');
  try {
    const ids = await createEvents(stack.provider, 'pr', s.events);
    await waitCaughtUp(stack, s.events);
    progress(`placing ${s.betsPerEvent} bets on each of ${s.events} events through POST /bet`);
    const bets = ids.flatMap((id) => Array.from({ length: s.betsPerEvent }, () => id));
    await forEachLimit(bets, 16, async (id) => {
      const res = await fetch(`${stack.base}/bet`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event_id: id, amount: '10.00' }),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`POST /bet answered ${res.status}`);
    });
    const fromAnswer = new Recorder();
    const fromCall = new Recorder();
    const allWon = async (id: string): Promise<boolean> => {
      const res = await fetch(`${stack.base}/bets?event_id=${encodeURIComponent(id)}&limit=50`);
      const list = (await res.json()) as { status: string }[];
      return list.length === s.betsPerEvent && list.every((b) => b.status === 'WON');
    };
    progress(`finishing ${s.events} events one at a time`);
    for (const id of ids) {
      const called = performance.now();
      await stack.provider.finish(id, true);
      const answered = performance.now();
      while (!(await allWon(id))) await sleep(2);
      const now = performance.now();
      fromAnswer.add(now - answered);
      fromCall.add(now - called);
    }
    const lat = fromAnswer.summary();
    const call = fromCall.summary();
    return {
      id: 'propagation',
      title: `finish an event with ${s.betsPerEvent} bets, ${s.events} events`,
      rows: [
        { metric: 'p50 from the RPC answer to all bets WON', value: round(lat.p50), unit: 'ms' },
        {
          metric: 'p99 from the RPC answer to all bets WON',
          value: round(lat.p99),
          unit: 'ms',
          target: { on: 'value', op: '<=', limit: 50 },
        },
        { metric: 'max', value: round(lat.max), unit: 'ms' },
        { metric: 'p99 from the RPC call', value: round(call.p99), unit: 'ms' },
      ],
      latency: [{ label: 'finish -> bets WON', ...pick3(lat), limit: 50 }],
      throughput: [],
      notes: [],
      details: { fromAnswer: lat, fromCall: call },
    };
  } finally {
    await stack.stop();
  }
};
