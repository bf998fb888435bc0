import { crc32, gunzipSync } from 'node:zlib';
import test from 'ava';
import fc from 'fast-check';
import { loadConfig } from '../src/config.js';
import { formatCents, parseDecimal, parseDecimalNumber } from '../src/domain/decimal.js';
import { createCursorCodec } from '../src/http/cursor.js';
import { backoffDelay, retryUntilDone, type Clock } from '../src/watch/backoff.js';
import { toEventView, type EventRecord } from '../src/domain/event.js';
import { EventCache } from '../src/watch/event-cache.js';
import { crc32Combine } from '../src/watch/gzip-parts.js';
import { toEventRecord } from '../src/watch/mapping.js';

test('when random is fixed, then the backoff doubles up to the cap with full jitter', (t) => {
  const opts = { minMs: 100, maxMs: 1_000 };
  t.deepEqual(
    [0, 1, 2, 3, 4, 10, 1_000].map((a) => backoffDelay(a, opts, () => 0.999999)),
    [99, 199, 399, 799, 999, 999, 999],
  );
  t.is(
    backoffDelay(5, opts, () => 0),
    0,
  );
  t.is(
    backoffDelay(1, opts, () => 0.5),
    100,
  );
});

test('when a write keeps failing, then it is retried with backoff until it succeeds', async (t) => {
  const slept: number[] = [];
  const clock: Clock = {
    random: () => 0.5,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
  let calls = 0;
  const value = await retryUntilDone(
    () => (++calls < 4 ? Promise.reject(new Error('down')) : Promise.resolve('ok')),
    { minMs: 10, maxMs: 1_000, clock, signal: new AbortController().signal, onError: () => {} },
  );
  t.is(value, 'ok');
  t.deepEqual(slept, [10, 10, 20]);
});

test('when decimals are parsed, then only plain two-place decimals are hundredths', (t) => {
  t.is(parseDecimal('10'), 1000n);
  t.is(parseDecimal('10.5'), 1050n);
  t.is(parseDecimal('0.01'), 1n);
  t.is(parseDecimalNumber(10.5), 1050n);
  t.is(parseDecimalNumber(0.1 + 0.2), 'more than two decimal places');
  for (const bad of ['', '.5', '1.', '+1', '-1', ' 1', '1e2', '0x10', '01', 'NaN', 'Infinity', '1,5']) {
    t.is(typeof parseDecimal(bad), 'string', bad);
  }
  t.is(parseDecimalNumber(Number.NaN), 'not a decimal');
  t.is(parseDecimalNumber(1e21), 'not a decimal');
  t.is(formatCents(1050n), '10.50');
  t.is(formatCents(5n), '0.05');
});

test('when a cursor is tampered with, then it is refused', (t) => {
  const { encode, decode } = createCursorCodec('a secret of sixteen+ characters');
  t.is(decode(encode('42')), '42');
  const good = encode('42');
  const tampered = good.slice(0, 5) + (good[5] === 'A' ? 'B' : 'A') + good.slice(6);
  const foreign = createCursorCodec('another secret of 16+ chars').encode('42');
  for (const bad of ['', 'x', tampered, foreign, good.slice(1), `${good}A`, 'e30', 'bnVsbA']) {
    t.throws(() => decode(bad), { message: 'Invalid cursor.' }, bad);
  }
});

test('when the cache body is read, then it is rebuilt only on change or when a deadline passes', (t) => {
  const cache = new EventCache();
  const ev = (id: string, at: number, status: 'NEW' | 'FINISHED_WIN' = 'NEW') => ({
    id,
    coefficient: '1.50',
    deadline: new Date(at),
    status,
    revision: '1',
  });
  cache.replace([ev('a', 2_000), ev('b', 1_000)]);
  const first = cache.bodyAt(0);
  t.is(cache.bodyAt(500), first);
  const ids = (JSON.parse(cache.bodyAt(1_000).json().toString('utf8')) as { event_id: string }[]).map(
    (e) => e.event_id,
  );
  t.deepEqual(ids, ['a']);
  cache.apply([ev('a', 2_000, 'FINISHED_WIN')]);
  t.is(cache.bodyAt(1_500).json().toString('utf8'), '[]');
});

test('when any changes, snapshots and reads interleave, then the body is the open events in deadline and id order', (t) => {
  // Enough ids for several blocks, few enough that changes hit the same events again.
  const id = fc.integer({ min: 0, max: 39 }).map((i) => `e${String(i).padStart(2, '0')}`);
  const record = fc.record({
    id,
    coefficient: fc.constantFrom('1.01', '2.50', '10.00'),
    // Few distinct deadlines, so that ties (ordered by id) and deadlines passing between reads both happen.
    deadline: fc.constantFrom(1_000, 2_000, 3_000).map((ms) => new Date(ms)),
    status: fc.constantFrom('NEW', 'NEW', 'FINISHED_WIN', 'FINISHED_LOSE'),
    revision: fc.constant('1'),
  }) as fc.Arbitrary<EventRecord>;
  const step = fc.oneof(
    // Up to 300 changes at once: past 256 the cache stops keeping its order and sorts at the next read.
    fc.record({ apply: fc.array(record, { maxLength: 300 }) }),
    fc.record({ replace: fc.array(record, { maxLength: 40 }) }),
    // Events finished a few at a time: blocks shrink until they are joined to a neighbour.
    fc.record({
      apply: fc.array(
        fc.record({
          id,
          coefficient: fc.constant('1.01'),
          deadline: fc.constant(new Date(1_000)),
          status: fc.constant('FINISHED_LOSE'),
          revision: fc.constant('1'),
        }) as fc.Arbitrary<EventRecord>,
        { minLength: 1, maxLength: 8 },
      ),
    }),
    // Reads move the clock forward (time never goes back: a body is kept until its first deadline).
    fc.record({ readAfter: fc.integer({ min: 0, max: 800 }) }),
  );
  fc.assert(
    // Small blocks, so that blocks are split and joined (3 and 5: a block of one or two is joined to its neighbour).
    fc.property(fc.constantFrom(1, 3, 5, 256), fc.array(step, { maxLength: 30 }), (blockSize, steps) => {
      const cache = new EventCache({ blockSize });
      const model = new Map<string, EventRecord>();
      let now = 0;
      const put = (events: EventRecord[]) => {
        for (const e of events) {
          if (e.status === 'NEW') model.set(e.id, e);
          else model.delete(e.id);
        }
      };
      // A full line to start from, so that blocks exist to be split and joined.
      const line = Array.from({ length: 40 }, (_, i) => ({
        id: `e${String(i).padStart(2, '0')}`,
        coefficient: '1.01',
        deadline: new Date(1_000 * (1 + (i % 3))),
        status: 'NEW' as const,
        revision: '1',
      }));
      cache.replace(line);
      put(line);
      for (const s of steps) {
        if ('apply' in s) {
          cache.apply(s.apply);
          put(s.apply);
        } else if ('replace' in s) {
          cache.replace(s.replace);
          model.clear();
          put(s.replace);
        } else {
          now += s.readAfter;
          const expected = [...model.values()]
            .filter((e) => e.deadline.getTime() > now)
            .sort((x, y) => x.deadline.getTime() - y.deadline.getTime() || (x.id < y.id ? -1 : 1))
            .map(toEventView);
          const body = cache.bodyAt(now);
          const json = body.json().toString('utf8');
          t.deepEqual(JSON.parse(json), expected);
          t.is(body.bytes, Buffer.byteLength(json));
          // The gzip form, joined from blocks compressed apart, is the same bytes.
          t.is(gunzipSync(body.gzip()).toString('utf8'), json);
          t.is(cache.size, model.size);
        }
      }
    }),
    { numRuns: 400 },
  );
});

test('when two CRC-32s are combined, then the result is the CRC-32 of both inputs one after the other', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 70_000 }), (a, b) => {
      t.is(crc32Combine(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])));
    }),
    { numRuns: 200 },
  );
});

test('when the environment is empty, then the documented defaults apply; bad values fail fast', (t) => {
  const c = loadConfig({});
  t.like(c, {
    port: 8001,
    host: '0.0.0.0',
    databaseUrl: undefined,
    lineProviderUrl: '127.0.0.1:50051',
    dataDir: './.data',
    settlementBatchSize: 5_000,
    sweeperIntervalMs: 30_000,
  });
  t.is(loadConfig({ PORT: '' }).port, 8001);
  t.throws(() => loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x' }), {
    message: /PORT[\s\S]*DATABASE_URL/,
  });
});

test('when a wire coefficient is read, then it is kept in two-place form and refused out of numeric(12,2)', (t) => {
  const wire = (coefficient: string) => ({
    eventId: 'e-1',
    coefficient,
    deadline: new Date(0),
    status: 1,
    revision: '7',
  });
  const read = (c: string) => toEventRecord(wire(c)).coefficient;
  t.is(read('1.75'), '1.75');
  t.is(read('1.5'), '1.50');
  t.is(read('2'), '2.00');
  t.is(read('0.01'), '0.01');
  t.is(read('9999999999.99'), '9999999999.99');
  for (const bad of ['0.00', '0', '10000000000.00', '10000000000', '01.50', '1.755', '-1.00', '']) {
    t.throws(() => read(bad), { name: 'ProtocolError' }, bad);
  }
});
