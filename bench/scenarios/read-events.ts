import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { progress, sleep, waitFor } from '../lib/concurrency.js';
import { createEvents, type Provider } from '../lib/grpc.js';
import { addFailures, describeFailures, runLoad } from '../lib/http-load.js';
import { cpuMeter, startBenchChild } from '../lib/services.js';
import { startStack, waitCaughtUp } from '../lib/stack.js';
import { Recorder, round, type LatencySummary } from '../lib/stats.js';
import type { Row, Scenario } from '../lib/types.js';
import { pick3 } from './shared.js';

interface Side {
  rps: number;
  latency: LatencySummary;
  bytes: number;
  failed: number;
  failures: Record<string, number>;
}

/**
 * Scenario 2: GET /events with 10,000 open events and 16 connections, against a bare Koa route (its own
 * process, like bet-maker) that returns from memory the very bytes bet-maker served. Twice: with
 * `Accept-Encoding: gzip`, as browsers and HTTP libraries send it (the target), and without it. Product
 * and baseline alternate in rounds. Then once more with gzip while line-provider changes coefficients at
 * `changesPerS` (a live line): every change makes bet-maker build and compress its body again.
 */
export const readEvents: Scenario = async (ctx) => {
  const s = ctx.options.sizes.readEvents;
  const rounds = ctx.options.quick ? 1 : 2;
  const stack = await startStack(ctx, 'read-events');
  let bare: Awaited<ReturnType<typeof startBenchChild<{ type: string; port?: number }>>> | undefined;
  try {
    const ids = await createEvents(stack.provider, 're', s.events);
    await waitCaughtUp(stack, s.events);
    let json: Buffer = Buffer.alloc(0);
    await waitFor(
      `GET /events to list ${s.events} events`,
      async () => {
        json = await fetchRaw(`${stack.base}/events`, {});
        return (JSON.parse(json.toString('utf8')) as unknown[]).length === s.events;
      },
      30_000,
      50,
    );
    const gzipped = await fetchRaw(`${stack.base}/events`, { 'accept-encoding': 'gzip' });
    const jsonFile = join(ctx.tmpDir, 'events-body.json');
    const gzipFile = join(ctx.tmpDir, 'events-body.json.gz');
    await writeFile(jsonFile, json);
    await writeFile(gzipFile, gzipped);
    bare = await startBenchChild<{ type: string; port?: number }>('lib/bare-koa.ts', [jsonFile, gzipFile]);
    const bareUrl = `http://127.0.0.1:${bare.ready.port ?? 0}`;
    const perRound = s.durationS / rounds;
    const cpu: Record<string, number>[] = [];

    const compare = async (label: string, headers: Record<string, string>) => {
      const load = (url: string, durationS: number, recorder?: Recorder) =>
        runLoad({
          url,
          connections: s.connections,
          durationS,
          path: '/events',
          headers,
          ...(recorder ? { recorder } : {}),
        });
      progress(`${label}: warm-up ${s.warmupS} s each`);
      await load(bareUrl, s.warmupS);
      await load(stack.base, s.warmupS);
      const newSide = () => ({
        n: 0,
        s: 0,
        rec: new Recorder(),
        bytes: 0,
        failed: 0,
        failures: {} as Record<string, number>,
      });
      const acc = { base: newSide(), prod: newSide() };
      for (let r = 1; r <= rounds; r++) {
        for (const side of ['base', 'prod'] as const) {
          const meter = cpuMeter({ bare: bare?.child.pid ?? 0, betMaker: stack.bm.pid, bench: process.pid });
          const res = await load(side === 'base' ? bareUrl : stack.base, perRound, acc[side].rec);
          cpu.push({ ...meter(), [side === 'base' ? 'bareRun' : 'betMakerRun']: 1 });
          acc[side].n += res.ok;
          acc[side].s += res.durationS;
          acc[side].bytes = res.bytesPerResponse;
          acc[side].failed += res.non2xx + res.errors;
          addFailures(acc[side].failures, res.failures);
          progress(
            `${label}, round ${r}/${rounds}, ${side === 'base' ? 'bare Koa' : 'bet-maker'}: ${round(res.rps)} req/s, p99 ${round(res.latency.p99)} ms`,
          );
        }
      }
      const side = (a: typeof acc.base): Side => ({
        rps: a.n / a.s,
        latency: a.rec.summary(),
        bytes: a.bytes,
        failed: a.failed,
        failures: a.failures,
      });
      return { base: side(acc.base), prod: side(acc.prod) };
    };
    const gz = await compare('gzip', { 'accept-encoding': 'gzip' });
    const plain = await compare('identity', {});
    progress(`gzip, while ${s.changesPerS} coefficients change a second: ${s.durationS} s`);
    const live = await whileChanging(stack.provider, ids, s.changesPerS, () =>
      runLoad({
        url: stack.base,
        connections: s.connections,
        durationS: s.durationS,
        path: '/events',
        headers: { 'accept-encoding': 'gzip' },
      }),
    );
    const rows: Row[] = [
      {
        metric: 'throughput, gzip accepted',
        value: round(gz.prod.rps),
        unit: 'req/s',
        baseline: round(gz.base.rps),
        baselineLabel: 'bare Koa route, same bytes from memory',
        target: { on: 'ratio', op: '>=', limit: 0.7 },
      },
      {
        metric: 'p50, gzip accepted',
        value: round(gz.prod.latency.p50),
        unit: 'ms',
        baseline: round(gz.base.latency.p50),
      },
      {
        metric: 'p99, gzip accepted',
        value: round(gz.prod.latency.p99),
        unit: 'ms',
        baseline: round(gz.base.latency.p99),
        target: { on: 'value', op: '<=', limit: 20 },
      },
      { metric: 'response bytes, gzip', value: gzipped.length, unit: 'bytes' },
      {
        metric: 'throughput, no Accept-Encoding',
        value: round(plain.prod.rps),
        unit: 'req/s',
        baseline: round(plain.base.rps),
      },
      {
        metric: 'p99, no Accept-Encoding',
        value: round(plain.prod.latency.p99),
        unit: 'ms',
        baseline: round(plain.base.latency.p99),
      },
      { metric: 'response bytes, identity', value: json.length, unit: 'bytes' },
      {
        metric: `throughput, gzip, ${s.changesPerS} changes/s`,
        value: round(live.result.rps),
        unit: 'req/s',
      },
      { metric: `p99, gzip, ${s.changesPerS} changes/s`, value: round(live.result.latency.p99), unit: 'ms' },
      { metric: 'changes made during it', value: live.changes, unit: '' },
      {
        metric: 'errors and non-2xx answers',
        value: gz.prod.failed + plain.prod.failed + live.result.non2xx + live.result.errors + live.failed,
        unit: '',
      },
    ];
    return {
      id: 'read-events',
      title: `GET /events, ${s.events.toLocaleString('en-US')} open events, ${s.connections} connections`,
      rows,
      latency: [
        { label: 'GET /events (gzip)', ...pick3(gz.prod.latency), limit: 20 },
        { label: 'bare Koa (gzip, baseline)', ...pick3(gz.base.latency), baseline: true },
        { label: 'GET /events (identity)', ...pick3(plain.prod.latency) },
        { label: 'bare Koa (identity, baseline)', ...pick3(plain.base.latency), baseline: true },
        { label: `GET /events (gzip), ${s.changesPerS} changes/s`, ...pick3(live.result.latency) },
      ],
      throughput: [
        {
          label: 'read the line (gzip)',
          unit: 'req/s',
          product: round(gz.prod.rps),
          baseline: round(gz.base.rps),
          baselineLabel: 'bare Koa',
        },
        {
          label: 'read the line (identity)',
          unit: 'req/s',
          product: round(plain.prod.rps),
          baseline: round(plain.base.rps),
          baselineLabel: 'bare Koa',
        },
      ],
      notes: [
        ...describeFailures('failed requests, gzip', gz.prod),
        ...describeFailures('failed requests, identity', plain.prod),
        ...describeFailures(`failed requests, ${s.changesPerS} changes/s`, live.result),
      ],
      details: { rounds, secondsPerRound: perRound, gzip: gz, identity: plain, cpuPercent: cpu, live },
    };
  } finally {
    bare?.child.kill();
    await stack.stop();
  }
};

/**
 * Runs `work` while UpdateEvent changes one event's coefficient `perS` times a second (events in turn,
 * coefficients alternating), then stops the changes. Returns what `work` returned and how many changes were made.
 */
async function whileChanging<T>(
  provider: Provider,
  ids: readonly string[],
  perS: number,
  work: () => Promise<T>,
): Promise<{ result: T; changes: number; failed: number }> {
  let running = true;
  let changes = 0;
  let failed = 0;
  // Changes go at their due time without waiting for the ones before (at most 64 in flight): one awaited call
  // after another fell behind (about 70 a second instead of 100) once the load beside it grew.
  const inFlight = new Set<Promise<void>>();
  const changer = (async () => {
    const started = performance.now();
    while (running) {
      const due = Math.floor(((performance.now() - started) / 1000) * perS);
      for (; changes < due && inFlight.size < 64; changes++) {
        const id = ids[changes % ids.length] ?? '';
        const coefficient = changes % 2 === 0 ? '1.55' : '1.65';
        const call: Promise<void> = provider
          .update(id, { coefficient })
          .then(
            () => undefined,
            () => {
              failed++;
            },
          )
          .finally(() => inFlight.delete(call));
        inFlight.add(call);
      }
      await sleep(2);
    }
    await Promise.all(inFlight);
  })();
  try {
    return { result: await work(), changes, failed };
  } finally {
    running = false;
    await changer;
  }
}

/** The body's bytes exactly as sent (fetch would decompress them). */
function fetchRaw(url: string, headers: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    }).on('error', reject);
  });
}
