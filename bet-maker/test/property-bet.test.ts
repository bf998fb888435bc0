/**
 * POST /bet against generated garbage: bodies (any JSON, bet-shaped bodies with hostile values, text,
 * bytes, deep nesting, oversized), content types, content encodings and headers. Every answer is a 2xx or
 * a 4xx problem+json (never a 5xx, never a hang), and a refused request leaves the bets table as it was.
 * Failures print a seed: `FC_SEED=<seed> npx ava bet-maker/test/property-bet.test.ts` replays it.
 */
import { Agent } from 'node:http';
import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import { createTestDatabase, testPool } from './helpers/database.js';
import { caughtUp, startHarness } from './helpers/harness.js';
import { sendRaw, type RawReply } from './helpers/raw-http.js';
import { openEvent, type Shared } from './helpers/shared-app.js';

interface Context extends Shared {
  events: string[];
  agent: Agent;
}

const test = anyTest as TestFn<Context>;
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

test.before(async (t) => {
  const db = await createTestDatabase();
  const h = await startHarness(db.url);
  await new Promise<void>((r) => (h.run.watcher.synced ? r() : h.run.watcher.once('synced', r)));
  const sql = testPool(db.url, 2);
  t.context = { db, h, sql, events: [], agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
  const open = [await openEvent(t), await openEvent(t)];
  const finished = `prop-finished-${process.pid}`;
  const expired = `prop-expired-${process.pid}`;
  h.fake.put({ id: finished });
  h.fake.finish(finished, false);
  h.fake.put({ id: expired, deadline: new Date(Date.now() - 60_000) });
  await caughtUp(h);
  t.context.events = [...open, finished, expired];
});

test.after.always(async (t) => {
  t.context.agent?.destroy();
  await t.context.sql?.end();
  await t.context.h?.stop();
  await t.context.db?.drop();
});

/** `arb` one time in `1 + odds`, else null. */
const rarely = <T>(arb: fc.Arbitrary<T>, odds: number) =>
  fc.oneof({ weight: odds, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

/** Characters Node's HTTP client can put in a header value. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
      { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
      { weight: 1, arbitrary: fc.constant('\t') },
    ),
    maxLength,
  });

/** Number literals as a client might write them, valid JSON or not. */
const numberText = fc.oneof(
  fc.integer({ min: 1, max: 1_000_000 }).map(String),
  fc
    .tuple(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 99 }))
    .map(([a, b]) => `${a}.${b}`),
  fc.double().map((d) => JSON.stringify(d)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => d.toExponential()),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.constantFrom(
    'NaN',
    'Infinity',
    '-Infinity',
    '-0',
    '0',
    '0.00',
    '1e2',
    '1E2',
    '1e+2',
    '1e-2',
    '100e-2',
    '1.005',
    '1.000',
    '10.50',
    '0.1',
    '0.01',
    '999999.99',
    '1000000',
    '1000000.00',
    '1000000.01',
    '1e400',
    '-1e400',
    '5e-324',
    '100.0000000000000001',
    '-1',
    '0x10',
    '01',
    '.5',
    '1.',
    '+1',
    '1_000',
  ),
);

/** JSON text for a field value: numbers, decimal strings, any string, any JSON. */
const valueText = fc.oneof(
  { weight: 4, arbitrary: numberText },
  { weight: 3, arbitrary: numberText.map((n) => JSON.stringify(n)) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme' }).map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
);

const eventIdText = (events: string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...events, 'no-such-event').map((s) => JSON.stringify(s)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map((s) => JSON.stringify(s)) },
    { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 300 }).map((s) => JSON.stringify(s)) },
    { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e]{64,66}$/).map((s) => JSON.stringify(s)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('""', '" x"', '"x\\u0000"', '"\\ud800"', '"é"', 'null', '7', '[]'),
    },
    { weight: 1, arbitrary: valueText },
  );

/** Bodies shaped like a bet, with hostile values, extra or repeated fields, and odd whitespace. */
const betShaped = (events: string[]) =>
  fc
    .record({
      eventId: fc.option(eventIdText(events), { nil: undefined, freq: 8 }),
      amount: fc.option(valueText, { nil: undefined, freq: 8 }),
      extra: rarely(fc.tuple(fc.string({ maxLength: 20 }), valueText), 8),
      repeat: rarely(fc.constantFrom('event_id', 'amount'), 12),
      space: fc.constantFrom('', ' ', '\n\t '),
    })
    .map(({ eventId, amount, extra, repeat, space }) => {
      const members: string[] = [];
      if (eventId !== undefined) members.push(`"event_id":${space}${eventId}`);
      if (amount !== undefined) members.push(`"amount":${space}${amount}`);
      if (extra !== null) members.push(`${JSON.stringify(extra[0])}:${extra[1]}`);
      if (repeat !== null) members.push(`"${repeat}":${space}"1"`);
      return `{${space}${members.join(`,${space}`)}${space}}`;
    });

const body = (events: string[]) =>
  fc.oneof(
    { weight: 16, arbitrary: betShaped(events) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...events.slice(0, 2)), fc.integer({ min: 1, max: 100_000_000 }), fc.boolean())
        .map(([id, cents, quoted]) => {
          const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
          return JSON.stringify({ event_id: id }).replace(
            '}',
            `,"amount":${quoted ? `"${amount}"` : amount}}`,
          );
        }),
    },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 2_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 15_000, max: 40_000 })
        .map((n) => `{"event_id":"${'a'.repeat(n)}","amount":1}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', ' ', 'null', 'true', '"x"', '5', '{}', '[]', '{"event_id":'),
    },
  );

const contentType = fc.oneof(
  { weight: 24, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset=bogus',
      'application/json;;;',
      'application/vnd.api+json',
      'application/merge-patch+json',
      'application/csp-report',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: headerText(60) },
);

const request = (events: string[]) =>
  fc.record({
    body: body(events),
    contentType,
    contentEncoding: rarely(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-bogus', 'GZIP'), 30),
    idempotencyKey: rarely(
      fc.oneof(fc.constantFrom('prop-key-1', 'prop-key-2'), headerText(300), fc.uuid()),
      3,
    ),
    requestId: rarely(headerText(200), 2),
    chunked: fc.boolean(),
  });

type Generated = ReturnType<typeof request> extends fc.Arbitrary<infer T> ? T : never;

async function betCount(t: { context: Shared }): Promise<number> {
  const res = await t.context.sql.query<{ n: string }>('SELECT count(*) AS n FROM bets');
  return Number(res.rows[0]?.n);
}

function send(t: { context: Context }, g: Generated): Promise<RawReply> {
  const headers: Record<string, string> = {};
  if (g.contentType !== undefined) headers['content-type'] = g.contentType;
  if (g.contentEncoding !== null) headers['content-encoding'] = g.contentEncoding;
  if (g.idempotencyKey !== null) headers['idempotency-key'] = g.idempotencyKey;
  if (g.requestId !== null) headers['x-request-id'] = g.requestId;
  return sendRaw(
    t.context.h.base,
    { method: 'POST', path: '/bet', headers, body: g.body, contentLength: !g.chunked },
    t.context.agent,
  );
}

/** What every answer must look like; returns a reason when it does not. */
function judge(res: RawReply, before: number, after: number): string | undefined {
  if (res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400)) {
    return `status ${res.status}: ${res.text}`;
  }
  if (typeof res.headers['x-request-id'] !== 'string') return 'no X-Request-Id';
  if (res.headers['x-content-type-options'] !== 'nosniff') return 'no nosniff';
  if (res.status === 201) {
    const replayed = res.headers['idempotent-replayed'] === 'true';
    if (after !== before + (replayed ? 0 : 1))
      return `201 (replayed ${replayed}) but ${before} -> ${after} bets`;
    return undefined;
  }
  if (after !== before) return `refused with ${res.status} but ${before} -> ${after} bets`;
  if (res.headers['content-type'] !== 'application/problem+json')
    return `4xx as ${String(res.headers['content-type'])}`;
  const problem = JSON.parse(res.text) as { status?: unknown; type?: unknown; detail?: unknown };
  if (problem.status !== res.status || typeof problem.type !== 'string') return `bad problem ${res.text}`;
  if (/\bat \S+:\d+|SELECT|INSERT|relation|syntax error/i.test(res.text))
    return `leaks internals: ${res.text}`;
  return undefined;
}

test.serial(
  'when POST /bet gets generated bodies and headers, then every answer is 2xx or 4xx and refusals store nothing',
  async (t) => {
    t.timeout(120_000);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request(t.context.events), async (g) => {
        const before = await betCount(t);
        const res = await send(t, g);
        const after = await betCount(t);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const wrong = judge(res, before, after);
        if (wrong !== undefined) throw new Error(wrong);
      }),
      { numRuns: 2_500, includeErrorInReport: true, ...(seed === undefined ? {} : { seed }) },
    );
    t.log(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    // The generators must reach both sides of the line, or the property proves little.
    t.true((statuses.get(201) ?? 0) > 50, 'some bets were accepted');
    t.true((statuses.get(400) ?? 0) > 50 && (statuses.get(422) ?? 0) > 50, 'many were refused');
    t.true((statuses.get(415) ?? 0) > 10 && (statuses.get(409) ?? 0) > 10, 'content types and closed events');
  },
);

test.serial(
  'when the valid amounts are written as JSON numbers, then only plain two-place decimals are accepted',
  async (t) => {
    t.timeout(60_000);
    const [event] = t.context.events;
    await fc.assert(
      fc.asyncProperty(numberText, async (amount) => {
        const before = await betCount(t);
        const res = await sendRaw(
          t.context.h.base,
          {
            method: 'POST',
            path: '/bet',
            headers: { 'content-type': 'application/json' },
            body: `{"event_id":"${event}","amount":${amount}}`,
          },
          t.context.agent,
        );
        const after = await betCount(t);
        const plain = /^(0|[1-9]\d{0,6})(\.\d{1,2})?$/.test(amount);
        const cents = plain ? Math.round(Number(amount) * 100) : 0;
        const valid = plain && cents > 0 && cents <= 100_000_000;
        if (valid && res.status !== 201) throw new Error(`${amount}: ${res.status} ${res.text}`);
        if (!valid && res.status === 201) throw new Error(`${amount} was accepted`);
        const wrong = judge(res, before, after);
        if (wrong !== undefined) throw new Error(`${amount}: ${wrong}`);
      }),
      { numRuns: 600, ...(seed === undefined ? {} : { seed }) },
    );
    t.pass();
  },
);
