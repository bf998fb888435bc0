import { scrape } from '../../test/helpers/faults/http.js';
import { progress, sleep } from '../lib/concurrency.js';
import { Histogram, nowMs, stamp } from '../lib/fanout-clock.js';
import { connectProvider, createEvents, type Provider } from '../lib/grpc.js';
import {
  cpuSeconds,
  freePort,
  startBenchChild,
  startLineProvider,
  type ChildService,
} from '../lib/services.js';
import { Recorder, round } from '../lib/stats.js';
import type { Row, Scenario } from '../lib/types.js';

type WorkerMessage = {
  type: 'ready' | 'result';
  sparse?: [number, number][];
  received?: number;
  gaps?: number;
  streamErrors?: number;
};
type Worker = Awaited<ReturnType<typeof startBenchChild<WorkerMessage>>>;

/** Watcher processes: two, like the machine's cores, so the clients do not share one event loop. */
const WORKERS = 2;
/**
 * The heap grows about 8 MB a second at 1,000 changes/s between full GCs, so a sample a second can land up to 8 MB
 * above the live set; five a second, within about 2 MB (each scrape costs line-provider well under a millisecond).
 */
const HEAP_SAMPLE_S = 0.2;
/** Lower rates tried after the target one, to find what the machine sustains within the latency limit. */
const SWEEP = [100, 250, 500];

/**
 * Scenario 6: 100 watchers (each its own connection, in two client processes) while UpdateEvent calls
 * change events at 1,000 per second for 30 s. Delivery latency: from just before each call is sent to
 * the watcher's receipt of the change (the send time travels inside the change). line-provider's RSS is
 * sampled every second to tell whether memory stays flat. Then shorter runs at lower rates show how many
 * changes per second the machine delivers to 100 watchers within the 20 ms limit.
 */
export const fanout: Scenario = async (ctx) => {
  const s = ctx.options.sizes.fanout;
  const metricsPort = await freePort();
  const lp = await startLineProvider({
    logDir: ctx.tmpDir,
    entry: ctx.entry['line-provider'],
    name: 'fanout.line-provider',
    env: { LINE_PROVIDER_METRICS_PORT: String(metricsPort) },
  });
  const heapMb = () => heapUsedMb(metricsPort);
  const provider = connectProvider(lp.port);
  const workers: Worker[] = [];
  try {
    const ids = await createEvents(provider, 'fo', s.events);
    // The same calls with nobody watching: the floor that the calls' own latency puts under delivery latency.
    const alone = await phase(
      { lp, heapMb, provider, workers: [], watcherCount: 0, ids },
      s.ratePerS,
      1,
      Math.max(2, s.durationS / 3),
    );
    progress(`opening ${s.watchers} watchers in ${WORKERS} processes`);
    const per = Math.ceil(s.watchers / WORKERS);
    for (let i = 0; i < WORKERS; i++) {
      const n = Math.min(per, s.watchers - i * per);
      if (n > 0) {
        workers.push(
          await startBenchChild<WorkerMessage>('lib/watch-worker.ts', [String(lp.port), String(n)]),
        );
      }
    }
    const rssIdle = lp.memory().rssMb;
    const watched: PhaseSetup = { lp, heapMb, provider, workers, watcherCount: s.watchers, ids };
    // Lower rates first: a run that the machine cannot keep up with leaves a backlog behind it.
    const sweep: { rate: number; p99: number; delivered: number; expected: number }[] = [];
    for (const rate of SWEEP.filter((r) => r < s.ratePerS)) {
      const r = await phase(watched, rate, 1, Math.max(2, s.durationS / 4));
      sweep.push({ rate, p99: round(r.lat.p99), delivered: r.received, expected: r.expected });
    }
    const main = await phase(watched, s.ratePerS, s.warmupS, s.durationS);
    const sustained = Math.max(0, ...sweep.filter((x) => x.p99 <= 20).map((x) => x.rate));
    // RSS is a sawtooth: it climbs until V8 hands memory back, about every 25 s at this rate, longer than a
    // third of the measured 30 s. So a third's peak may be a tooth's top or its foot, and thirds compared with
    // each other swing by 10% either way with no leak (-11% and +14% seen). The RSS rows (the last third's peak
    // against the first's and against the highest before it, warm-up included; the means) are shown, unjudged;
    // memory is judged on the heap's floor below.
    /** The first and last thirds of the measured part (after the warm-up) of a series. */
    const thirds = (xs: [number, number][]) => {
      const measured = xs.filter(([t]) => t >= s.warmupS);
      const n = Math.max(1, Math.floor(measured.length / 3));
      return { first: measured.slice(0, n), last: measured.slice(-n) };
    };
    const avg = (xs: [number, number][]) => xs.reduce((a, [, v]) => a + v, 0) / Math.max(1, xs.length);
    const peak = (xs: [number, number][]) => Math.max(0, ...xs.map(([, v]) => v));
    const growth = (first: number, last: number) => (first === 0 ? 0 : ((last - first) / first) * 100);
    const rss = thirds(main.rss);
    const lastFrom = rss.last[0]?.[0] ?? 0;
    const growthPct = growth(peak(main.rss.filter(([t]) => t < lastFrom)), peak(rss.last));
    const thirdsPeakPct = growth(peak(rss.first), peak(rss.last));
    const meanGrowthPct = growth(avg(rss.first), avg(rss.last));
    const rssMax = Math.max(...main.rss.map(([, v]) => v));
    // The JS heap's floor: V8 runs a full GC every 3 to 8 s at this rate, so the lowest heap of each third is
    // about the live set after one. A leak raises it; where the GC teeth fall does not.
    const heap = thirds(main.heap);
    const floor = (xs: [number, number][]) => Math.min(...xs.map(([, v]) => v));
    const heapFloorFirst = floor(heap.first);
    const heapFloorLast = floor(heap.last);
    // A floor is a live set only if a full GC came in that third (the heap fell by a fifth or more at once):
    // not so in a smoke run's 5 s, whose thirds are too short to judge.
    const gcIn = (xs: [number, number][]) => xs.some(([, v], i) => i > 0 && v < (xs[i - 1]?.[1] ?? 0) * 0.8);
    const floorsJudged = gcIn(heap.first) && gcIn(heap.last);
    const { lat } = main;
    const rows: Row[] = [
      { metric: 'delivery latency p50', value: round(lat.p50), unit: 'ms' },
      {
        metric: 'delivery latency p99',
        value: round(lat.p99),
        unit: 'ms',
        target: { on: 'value', op: '<=', limit: 20 },
      },
      { metric: 'delivery latency max', value: round(lat.max), unit: 'ms' },
      { metric: 'changes sent per second', value: round(main.achieved), unit: '/s' },
      {
        metric: 'changes delivered / sent x watchers',
        value: round((main.received / Math.max(1, main.expected)) * 100),
        unit: '%',
      },
      { metric: 'UpdateEvent call latency p99', value: round(main.rpcP99), unit: 'ms' },
      {
        metric: `UpdateEvent call latency p99, same rate, no watchers`,
        value: round(alone.rpcP99),
        unit: 'ms',
      },
      {
        metric: 'revision gaps, dropped streams, failed calls',
        value: main.gaps + main.streamErrors + main.failed,
        unit: '',
        target: { on: 'value', op: '<=', limit: 0 },
      },
      { metric: 'line-provider RSS, max', value: round(rssMax), unit: 'MB' },
      {
        metric: 'line-provider JS heap floor, lowest of the first third',
        value: round(heapFloorFirst),
        unit: 'MB',
      },
      {
        metric: 'line-provider JS heap floor growth, last third vs the first',
        value: round(growth(heapFloorFirst, heapFloorLast)),
        unit: '%',
        ...(floorsJudged ? { target: { on: 'value' as const, op: '<=' as const, limit: 10 } } : {}),
      },
      {
        metric: 'line-provider RSS growth, peak of the last third vs the highest before it',
        value: round(growthPct),
        unit: '%',
      },
      {
        metric: 'line-provider RSS growth, peak of the last third vs the first',
        value: round(thirdsPeakPct),
        unit: '%',
      },
      {
        metric: 'line-provider RSS growth, mean of the last third vs the first',
        value: round(meanGrowthPct),
        unit: '%',
      },
      { metric: 'CPU: line-provider', value: main.cpu.lp, unit: '% of a core' },
      { metric: 'CPU: the watcher processes', value: main.cpu.watchers, unit: '% of a core' },
      { metric: 'CPU: the load driver (bench process)', value: main.cpu.bench, unit: '% of a core' },
      ...sweep.map((x) => ({ metric: `p99 at ${x.rate} changes/s`, value: x.p99, unit: 'ms' })),
      { metric: 'highest rate tried with p99 <= 20 ms', value: sustained, unit: 'changes/s' },
    ];
    return {
      id: 'fanout',
      title: `${s.watchers} watchers, ${s.ratePerS.toLocaleString('en-US')} changes/s for ${s.durationS} s`,
      rows,
      latency: [
        {
          label: `delivery at ${s.ratePerS}/s`,
          p50: round(lat.p50),
          p90: round(lat.p90),
          p99: round(lat.p99),
          limit: 20,
        },
      ],
      throughput: [],
      series: [
        { label: 'line-provider RSS', unit: 'MB', points: main.rss },
        { label: 'line-provider JS heap used', unit: 'MB', points: main.heap },
      ],
      notes: floorsJudged
        ? []
        : ['no full GC in the first or the last third of the measured part: the heap floors are not judged'],
      details: { ...main, rssIdle, sweep, alone: { rpcP99: alone.rpcP99, cpu: alone.cpu } },
    };
  } finally {
    for (const w of workers) w.child.send({ type: 'exit' });
    provider.close();
    await lp.stop();
  }
};

/** What a phase runs against: line-provider, the watcher processes (none for the floor) and the events. */
interface PhaseSetup {
  lp: ChildService;
  /** line-provider's JS heap in use, in MB (undefined when unread). */
  heapMb: () => Promise<number | undefined>;
  provider: Provider;
  workers: Worker[];
  watcherCount: number;
  ids: string[];
}

/** Changes at `rate` for warm-up plus `durationS`; latency and counts over the measured part. */
async function phase(setup: PhaseSetup, rate: number, warmupS: number, durationS: number) {
  const { lp, heapMb, provider, workers, watcherCount, ids } = setup;
  progress(`${rate} changes/s: ${warmupS} s warm-up, then ${durationS} s measured`);
  const rpc = new Recorder();
  const rss: [number, number][] = [];
  const heap: [number, number][] = [];
  const cpuNow = () => ({
    lp: cpuSeconds(lp.pid),
    watchers: workers.reduce((a, w) => a + cpuSeconds(w.child.pid ?? 0), 0),
    bench: cpuSeconds(process.pid),
  });
  let sent = 0;
  let sentMeasured = 0;
  let failed = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let recording = false;
  let cpuFrom = cpuNow();
  let recordFrom = 0;
  let nextSample = 0;
  let nextHeapSample = 0;
  const t0 = performance.now();
  for (;;) {
    const elapsedS = (performance.now() - t0) / 1000;
    if (elapsedS >= warmupS + durationS) break;
    if (!recording && elapsedS >= warmupS) {
      recording = true;
      cpuFrom = cpuNow();
      recordFrom = performance.now();
      const from = nowMs();
      for (const w of workers) w.child.send({ type: 'record', from });
    }
    if (elapsedS >= nextSample) {
      rss.push([round(elapsedS), round(lp.memory().rssMb)]);
      nextSample += 1;
    }
    if (elapsedS >= nextHeapSample) {
      const at = round(elapsedS);
      void heapMb().then((mb) => {
        if (mb !== undefined) heap.push([at, round(mb)]);
      });
      nextHeapSample += HEAP_SAMPLE_S;
    }
    const due = Math.floor(elapsedS * rate);
    while (sent < due && inFlight < 1_000) {
      const id = ids[sent % ids.length] ?? 'fo-0';
      sent++;
      if (recording) sentMeasured++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const t = nowMs();
      const timed = recording;
      provider
        .update(id, stamp(t))
        .then(() => {
          if (timed) rpc.add(nowMs() - t);
        })
        .catch(() => failed++)
        .finally(() => inFlight--);
    }
    await sleep(1);
  }
  const measuredS = (performance.now() - recordFrom) / 1000;
  const achieved = sent / ((performance.now() - t0) / 1000);
  const cpuTo = cpuNow();
  const cpuPct = (k: 'lp' | 'watchers' | 'bench') => round(((cpuTo[k] - cpuFrom[k]) / measuredS) * 100);
  const cpu = { lp: cpuPct('lp'), watchers: cpuPct('watchers'), bench: cpuPct('bench') };
  // Let what was sent arrive (a late change still counts, with its whole latency).
  while (inFlight > 0) await sleep(5);
  await sleep(500);
  // Collect, and keep collecting while changes still arrive (up to 60 s), so that a backlog is counted
  // (with its latency) here and not in the next phase.
  let hist = new Histogram();
  let received = 0;
  let gaps = 0;
  let streamErrors = 0;
  const drainUntil = Date.now() + 60_000;
  for (let previous = -1; received !== previous && Date.now() < drainUntil;) {
    previous = received;
    if (previous >= 0) await sleep(1_000);
    hist = new Histogram();
    received = 0;
    gaps = 0;
    streamErrors = 0;
    for (const w of workers) {
      const result = w.next('result');
      w.child.send({ type: 'report' });
      const r = await result;
      hist.merge(r.sparse ?? []);
      received += r.received ?? 0;
      gaps += r.gaps ?? 0;
      streamErrors += r.streamErrors ?? 0;
    }
  }
  const lat = {
    p50: hist.percentile(50),
    p90: hist.percentile(90),
    p99: hist.percentile(99),
    max: hist.percentile(100),
  };
  const who = watcherCount === 0 ? 'no watchers' : `${watcherCount} watchers`;
  progress(
    `${rate} changes/s, ${who}: delivery p99 ${round(lat.p99)} ms, call p99 ${round(rpc.percentile(99))} ms; CPU ${JSON.stringify(cpu)}`,
  );
  return {
    rate,
    lat,
    achieved,
    expected: sentMeasured * watcherCount,
    received,
    gaps,
    streamErrors,
    failed,
    maxInFlight,
    rpcP99: rpc.percentile(99),
    cpu,
    rss,
    heap: heap.sort(([a], [b]) => a - b),
  };
}

/** line-provider's JS heap in use (prom-client's `nodejs_heap_size_used_bytes`), in MB; undefined if unread. */
async function heapUsedMb(metricsPort: number): Promise<number | undefined> {
  const bytes = await scrape(`http://127.0.0.1:${metricsPort}`, 'nodejs_heap_size_used_bytes').catch(
    () => undefined,
  );
  return bytes === undefined ? undefined : bytes / 1024 / 1024;
}
