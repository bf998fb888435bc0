import test from 'ava';

import { FlushPacer, MAX_FLUSH_INTERVAL_MS, MIN_FLUSH_INTERVAL_MS } from '../src/grpc/flush-pacer.js';

function observeMany(pacer: FlushPacer, lateMs: number, times: number): void {
  for (let i = 0; i < times; i += 1) pacer.observe(lateMs);
}

test('when the flush timers fire on time, then changes wait the shortest interval', (t) => {
  const pacer = new FlushPacer();
  t.is(pacer.intervalMs, MIN_FLUSH_INTERVAL_MS);
  // Early, on time, and late by no more than a timer's millisecond granularity.
  for (const late of [-3, 0, 0.4, 1]) pacer.observe(late);
  t.is(pacer.intervalMs, MIN_FLUSH_INTERVAL_MS);
});

test('when the flush timers keep firing late, then changes wait longer, up to the longest interval', (t) => {
  const pacer = new FlushPacer();
  observeMany(pacer, 1 + 6, 200);
  t.true(Math.abs(pacer.intervalMs - (MIN_FLUSH_INTERVAL_MS + 6)) < 0.01, `interval ${pacer.intervalMs}`);
  observeMany(pacer, 500, 200);
  t.is(pacer.intervalMs, MAX_FLUSH_INTERVAL_MS);
});

test('when one flush timer fires late among timely ones, then the interval barely moves', (t) => {
  const pacer = new FlushPacer();
  pacer.observe(400);
  t.true(
    pacer.intervalMs - MIN_FLUSH_INTERVAL_MS <= MAX_FLUSH_INTERVAL_MS / 16,
    `interval ${pacer.intervalMs}`,
  );
});

test('when the loop catches up after running late, then the interval comes back to the shortest', (t) => {
  const pacer = new FlushPacer();
  observeMany(pacer, 500, 200);
  t.is(pacer.intervalMs, MAX_FLUSH_INTERVAL_MS);
  observeMany(pacer, 0, 100);
  t.true(pacer.intervalMs < MIN_FLUSH_INTERVAL_MS + 0.1, `interval ${pacer.intervalMs}`);
  t.true(pacer.intervalMs >= MIN_FLUSH_INTERVAL_MS);
});
