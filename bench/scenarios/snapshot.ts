import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { progress } from '../lib/concurrency.js';
import { createEvents } from '../lib/grpc.js';
import { logTime } from '../lib/services.js';
import { startStack, waitReady, type Stack } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import type { Row, Scenario } from '../lib/types.js';

/**
 * Scenario 5: line-provider holds 100,000 events; bet-maker starts (a cold mirror: every event is new to
 * its table) and then restarts (a reconnect: every event is already there). Each time, the seconds from
 * the moment it listens (and opens the stream) until it has applied the snapshot (and so turns ready), both
 * from its own log and confirmed by /readyz; then the resident memory (VmRSS, and the peak VmHWM) of both
 * services, after one GET /events.
 */
export const snapshot: Scenario = async (ctx) => {
  const s = ctx.options.sizes.snapshot;
  const stack = await startStack(ctx, 'snapshot');
  try {
    await stack.bm.stop();
    const lpIdle = stack.lp.memory();
    await createEvents(stack.provider, 'sn', s.events);
    const lpLoaded = stack.lp.memory();
    const cold = await measure(stack, 'cold start (empty mirror)');
    await stack.bm.stop();
    const warm = await measure(stack, 'restart (mirror already holds the events)');
    const lp = stack.lp.memory();
    const worst = Math.max(cold.readyS, warm.readyS);
    const bmRss = Math.max(cold.rss.rssMb, warm.rss.rssMb);
    const rows: Row[] = [
      {
        metric: 'seconds until ready, cold start',
        value: round(cold.readyS),
        unit: 's',
        target: { on: 'value', op: '<=', limit: 2 },
      },
      {
        metric: 'seconds until ready, restart',
        value: round(warm.readyS),
        unit: 's',
        target: { on: 'value', op: '<=', limit: 2 },
      },
      { metric: 'seconds from process spawn until ready, cold', value: round(cold.fromSpawnS), unit: 's' },
      {
        metric: 'line-provider RSS',
        value: round(lp.rssMb),
        unit: 'MB',
        target: { on: 'value', op: '<=', limit: 300 },
      },
      { metric: 'line-provider peak RSS (VmHWM)', value: round(lp.hwmMb), unit: 'MB' },
      {
        metric: 'bet-maker RSS',
        value: round(bmRss),
        unit: 'MB',
        target: { on: 'value', op: '<=', limit: 250 },
      },
      {
        metric: 'bet-maker peak RSS (VmHWM)',
        value: round(Math.max(cold.rss.hwmMb, warm.rss.hwmMb)),
        unit: 'MB',
      },
    ];
    return {
      id: 'snapshot',
      title: `bet-maker (re)connects to a line-provider with ${s.events.toLocaleString('en-US')} events`,
      rows,
      latency: [],
      throughput: [],
      notes: [],
      details: {
        events: s.events,
        worstReadyS: worst,
        cold,
        warm,
        lineProvider: { idle: lpIdle, loaded: lpLoaded, end: lp },
      },
    };
  } finally {
    await stack.stop();
  }
};

async function measure(stack: Stack, what: string) {
  progress(`bet-maker ${what}`);
  await stack.restartBetMaker();
  // Polled gently: /readyz queries the database, and polling it every few ms would slow what it measures.
  await waitReady(stack.base, 120_000, 100);
  const polledReadyAt = Date.now();
  const bm = stack.bm;
  // The precise moments come from bet-maker's own log: it listens (and opens the stream) and it applied the
  // snapshot (and turns ready in the same step).
  const listeningAt = logTime(bm.logFile, 'bet-maker listening', bm.spawnedAt) ?? bm.listeningAt;
  const readyAt = logTime(bm.logFile, 'snapshot applied', bm.spawnedAt) ?? polledReadyAt;
  const res = await fetch(`${stack.base}/events`);
  const bytes = (await res.arrayBuffer()).byteLength;
  const rss = bm.memory();
  const readyS = (readyAt - listeningAt) / 1000;
  const fromSpawnS = (readyAt - bm.spawnedAt) / 1000;
  const applied = appliedRecord(bm.logFile, bm.spawnedAt);
  // The database's share: how long bet-maker still waited for it after the last chunk had arrived.
  const afterEndS = applied?.afterEndMs === undefined ? undefined : applied.afterEndMs / 1000;
  const load1 = loadavg()[0] ?? 0;
  progress(
    `ready ${readyS.toFixed(2)} s after listening (${fromSpawnS.toFixed(2)} s after spawn` +
      `${afterEndS === undefined ? '' : `, ${afterEndS.toFixed(2)} s of it after the snapshot end`}); ` +
      `RSS ${rss.rssMb.toFixed(0)} MB; load average ${load1.toFixed(2)}`,
  );
  return { readyS, fromSpawnS, afterEndS, load1, eventsBytes: bytes, rss };
}

/** bet-maker's first `snapshot applied` log record since `after` (the one that made it ready). */
function appliedRecord(file: string, after: number): { afterEndMs?: number } | undefined {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('"snapshot applied"')) continue;
    try {
      const rec = JSON.parse(line) as { time?: number; afterEndMs?: number };
      if (typeof rec.time === 'number' && rec.time >= after) return rec;
    } catch {
      // not a log record
    }
  }
  return undefined;
}
