/**
 * The HTTP edge's defences: security headers and X-Request-Id on every response, no internals in a 500,
 * strict bodies (exponents, repeated fields, encodings), the rate limit and the client address behind a
 * proxy. One database; tests that break it or need their own settings start their own bet-maker.
 */
import { Writable } from 'node:stream';
import anyTest, { type TestFn } from 'ava';
import pg from 'pg';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { caughtUp, startHarness, type Harness } from './helpers/harness.js';
import { call, get, postBet, type Reply } from './helpers/http.js';
import type { Problem } from './helpers/shared-app.js';

const test = anyTest as TestFn<{ db: TestDatabase; h: Harness; event: string }>;

test.before(async (t) => {
  const db = await createTestDatabase();
  const h = await startHarness(db.url);
  const event = `sec-${process.pid}`;
  h.fake.put({ id: event, coefficient: '2.00' });
  await caughtUp(h);
  t.context = { db, h, event };
});

test.after.always(async (t) => {
  await t.context.h?.stop();
  await t.context.db?.drop();
});

function assertHardened(
  t: { is: (a: unknown, b: unknown, m?: string) => void; regex: (s: string, r: RegExp, m?: string) => void },
  res: Reply,
  what: string,
): void {
  t.is(res.headers.get('x-content-type-options'), 'nosniff', what);
  t.is(res.headers.get('x-frame-options'), 'DENY', what);
  t.is(res.headers.get('referrer-policy'), 'no-referrer', what);
  t.regex(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, what);
  t.regex(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, what);
}

test('when any route answers, success or error, then the security headers and a request id are there', async (t) => {
  const { base } = t.context.h;
  const replies: [string, Reply][] = [
    ['GET /events', await get(base, '/events')],
    ['GET /healthz', await get(base, '/healthz')],
    ['GET /readyz', await get(base, '/readyz')],
    ['GET /metrics', await get(base, '/metrics')],
    ['GET /openapi.json', await get(base, '/openapi.json')],
    ['GET /nowhere (404)', await get(base, '/nowhere')],
    ['DELETE /bets (405)', await call(base, 'DELETE', '/bets')],
    ['GET /bets bad limit (400)', await get(base, '/bets?limit=0')],
    ['POST /bet bad amount (422)', await postBet(base, { event_id: t.context.event, amount: '1.001' })],
    [
      'POST /bet text (415)',
      await call(base, 'POST', '/bet', { raw: 'x', headers: { 'content-type': 'text/plain' } }),
    ],
    ['POST /bet huge (413)', await postBet(base, { event_id: 'x'.repeat(20_000), amount: 1 })],
  ];
  for (const [what, res] of replies) assertHardened(t, res, what);
  t.is(
    replies[0]?.[1].headers.get('content-security-policy'),
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
});

test("when /docs is served, then its CSP allows only local scripts plus the page's own inline script by hash", async (t) => {
  const res = await call<string>(t.context.h.base, 'GET', '/docs');
  t.is(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  t.regex(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
  t.notRegex(csp, /script-src[^;]*unsafe/);
  t.regex(csp, /connect-src 'self'/);
  t.regex(csp, /frame-ancestors 'none'/);
  t.is(res.headers.get('x-frame-options'), 'DENY');
});

test('when the client sends a usable X-Request-Id, then it is echoed; an unusable one is replaced', async (t) => {
  const { base } = t.context.h;
  t.is(
    (await get(base, '/healthz', { 'x-request-id': 'trace-42:abc' })).headers.get('x-request-id'),
    'trace-42:abc',
  );
  for (const bad of ['has space', 'x'.repeat(129), '']) {
    const id = (await get(base, '/healthz', { 'x-request-id': bad })).headers.get('x-request-id') ?? '';
    t.regex(id, /^[0-9a-f-]{36}$/, JSON.stringify(bad));
  }
});

test('when an amount is a JSON number with an exponent or extra zero places, then it is refused like the string', async (t) => {
  const { base } = t.context.h;
  for (const amount of ['1e2', '1E2', '100e-2', '1.000', '-0', '10.500']) {
    const res = await call<Problem>(base, 'POST', '/bet', {
      raw: `{"event_id":"${t.context.event}","amount":${amount}}`,
      headers: { 'content-type': 'application/json' },
    });
    t.is(res.status, 422, amount);
    t.deepEqual(
      res.body.errors?.map((e) => e.field),
      ['amount'],
      amount,
    );
  }
  const ok = await call(base, 'POST', '/bet', {
    raw: `{"event_id":"${t.context.event}","amount":10.5}`,
    headers: { 'content-type': 'application/json' },
  });
  t.is(ok.status, 201);
});

test('when a field is given twice, then 400 names it (JSON.parse alone would keep the last one)', async (t) => {
  const res = await call<Problem>(t.context.h.base, 'POST', '/bet', {
    raw: `{"event_id":"${t.context.event}","amount":1,"amount":1000000000}`,
    headers: { 'content-type': 'application/json' },
  });
  t.is(res.status, 400);
  t.deepEqual(res.body.errors, [{ field: 'amount', message: 'given more than once' }]);
});

test('when the body is compressed or in a JSON type the parser does not read, then 415', async (t) => {
  const { base } = t.context.h;
  const body = JSON.stringify({ event_id: t.context.event, amount: 1 });
  for (const headers of <Record<string, string>[]>[
    { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    { 'content-type': 'application/json', 'content-encoding': 'br' },
    { 'content-type': 'application/json;;;' },
    { 'content-type': 'application/merge-patch+json' },
  ]) {
    const res = await call<Problem>(base, 'POST', '/bet', { raw: body, headers });
    t.is(res.status, 415, JSON.stringify(headers));
    t.is(res.headers.get('content-type'), 'application/problem+json');
  }
});

test('when an event id contains a space (printable, as line-provider allows), then it syncs and takes bets', async (t) => {
  const { h } = t.context;
  const id = `Derby ${process.pid}`;
  h.fake.put({ id });
  await caughtUp(h);
  const res = await postBet(h.base, { event_id: id, amount: '5' });
  t.is(res.status, 201);
});

test.serial(
  'when the database fails, then the answer is a bare 500 and the log has the error and the request id',
  async (t) => {
    const db = await createTestDatabase();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const h = await startHarness(db.url, { deps: { logger: pino({ level: 'error' }, sink) } });
    const sql = new pg.Client({ connectionString: db.url });
    t.teardown(async () => {
      await sql.end();
      await h.stop();
      await db.drop();
    });
    h.fake.put({ id: 'doomed' });
    await caughtUp(h);
    await sql.connect();
    await sql.query('ALTER TABLE bets RENAME TO bets_gone');
    for (const res of [
      await postBet<Problem>(h.base, { event_id: 'doomed', amount: 1 }, { 'x-request-id': 'force-500' }),
      await get<Problem>(h.base, '/bets'),
    ]) {
      t.is(res.status, 500);
      t.deepEqual(res.body, {
        type: 'urn:bet-maker:problem:internal',
        title: 'Internal server error',
        status: 500,
        detail: 'The request could not be completed.',
      });
      t.is(res.headers.get('x-content-type-options'), 'nosniff');
    }
    const logged = lines.find((l) => l.reqId === 'force-500');
    t.truthy(logged, 'the failure is logged with the request id');
    t.regex(JSON.stringify(logged?.err), /bets/, 'with the database error itself');
  },
);

test.serial(
  'when the rate limit is on, then a client past its burst gets 429 with Retry-After and probes never do',
  async (t) => {
    const db = await createTestDatabase();
    const h = await startHarness(db.url, { config: { rateLimit: { perSecond: 0.01, burst: 3 } } });
    t.teardown(async () => {
      await h.stop();
      await db.drop();
    });
    for (let i = 0; i < 3; i++) t.not((await get(h.base, '/bets')).status, 429);
    const limited = await get<Problem>(h.base, '/bets');
    t.is(limited.status, 429);
    t.is(limited.headers.get('content-type'), 'application/problem+json');
    t.like(limited.body, { status: 429, type: 'urn:bet-maker:problem:rate_limited' });
    t.true(Number(limited.headers.get('retry-after')) >= 1);
    t.is((await postBet(h.base, { event_id: 'x', amount: 1 })).status, 429, 'every API route counts');
    for (const probe of ['/healthz', '/readyz', '/metrics'])
      t.not((await get(h.base, probe)).status, 429, probe);
    // Without TRUST_PROXY the forwarded address is the client's own claim and changes nothing.
    t.is((await get(h.base, '/bets', { 'x-forwarded-for': '203.0.113.9' })).status, 429);
  },
);

test.serial(
  'when TRUST_PROXY is on, then clients are told apart by the last X-Forwarded-For hop',
  async (t) => {
    const db = await createTestDatabase();
    const h = await startHarness(db.url, {
      config: { rateLimit: { perSecond: 0.01, burst: 1 }, trustProxy: true },
    });
    t.teardown(async () => {
      await h.stop();
      await db.drop();
    });
    const as = (hops: string) => get(h.base, '/events', { 'x-forwarded-for': hops });
    t.not((await as('203.0.113.1')).status, 429);
    t.is((await as('203.0.113.1')).status, 429);
    t.not((await as('203.0.113.2')).status, 429, 'another client has its own bucket');
    t.is(
      (await as('198.51.100.7, 203.0.113.2')).status,
      429,
      'a spoofed first hop does not open a new bucket',
    );
  },
);
