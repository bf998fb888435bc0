/**
 * Micro-benchmark of bet-maker's `GET /events` body (EventCache), in this process, no services:
 *
 *   npx tsx bench/event-cache.ts
 *
 * For 10,000 and 100,000 open events: applying them as a snapshot, the first body (and its gzip form), and then
 * one coefficient change followed by a body build, and by a body and its gzip form, repeated (what the first
 * request after a change costs on a live line). For comparison, gzip of the whole body at once, as every change
 * cost until 2026-11-27 (on the libuv pool then, off the event loop, but CPU all the same).
 */
import { gzipSync } from 'node:zlib';
import type { EventRecord } from '../bet-maker/src/domain/event.js';
import { EventCache } from '../bet-maker/src/watch/event-cache.js';

const HOUR = 3_600_000;

function events(n: number, now: number): EventRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `ev-${i}`,
    coefficient: '1.75',
    // Deadlines spread over a day, in an order unrelated to the ids.
    deadline: new Date(now + HOUR + ((i * 7_919) % 86_400) * 1_000),
    status: 'NEW' as const,
    revision: String(i + 1),
  }));
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

console.log(`Node ${process.version}`);
for (const n of [10_000, 100_000]) {
  const now = Date.now();
  const list = events(n, now);
  const rounds = n <= 10_000 ? 200 : 30;
  const replace: number[] = [];
  const first: number[] = [];
  const firstGzip: number[] = [];
  const change: number[] = [];
  const changeGzip: number[] = [];
  const whole: number[] = [];
  let sizes = '';
  for (let repeat = 0; repeat < 3; repeat++) {
    const cache = new EventCache();
    replace.push(time(() => cache.replace(list)));
    first.push(time(() => cache.bodyAt(now)));
    firstGzip.push(time(() => cache.bodyAt(now).gzip()));
    for (let r = 0; r < rounds; r++) {
      const e = list[r % n];
      if (e === undefined) continue;
      const changed = { ...e, coefficient: r % 2 === 0 ? '1.80' : '1.85', revision: String(n + r + 1) };
      const gzip = r % 2 === 1;
      (gzip ? changeGzip : change).push(
        time(() => {
          cache.apply([changed]);
          const body = cache.bodyAt(now);
          if (gzip) body.gzip();
        }),
      );
    }
    const json = cache.bodyAt(now).json();
    let once = Buffer.alloc(0);
    whole.push(time(() => (once = gzipSync(json, { level: 1 }))));
    sizes = `${json.length.toLocaleString('en-US')} bytes, gzip ${cache.bodyAt(now).gzip().length.toLocaleString('en-US')} in blocks, ${once.length.toLocaleString('en-US')} at once`;
  }
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(
    `${n.toLocaleString('en-US')} events (${sizes}): snapshot applied ${ms(median(replace))}, ` +
      `first body ${ms(median(first))} (its gzip ${ms(median(firstGzip))}), a change and the next body ` +
      `${ms(median(change))}, with its gzip ${ms(median(changeGzip))}; the whole body gzipped at once ` +
      `${ms(median(whole))} (medians)`,
  );
}
