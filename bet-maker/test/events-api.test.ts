import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import anyTest, { type TestFn } from 'ava';
import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { FakeLineProvider } from './helpers/fake-line-provider.js';
import { caughtUp, startHarness } from './helpers/harness.js';
import { call, get, postBet } from './helpers/http.js';

const test = anyTest as TestFn<{ db: TestDatabase }>;

interface EventView {
  event_id: string;
  coefficient: string;
  deadline: string;
  status: string;
}

test.before(async (t) => {
  t.context = { db: await createTestDatabase() };
});

test.after.always(async (t) => {
  await t.context.db?.drop();
});

// One bet-maker per test here, each with its own fake provider, so the tests run one at a time: two
// providers writing the same events table would orphan each other's events.
test.serial(
  'when the first snapshot has not arrived, then /readyz, GET /events and POST /bet are 503',
  async (t) => {
    const fake = await FakeLineProvider.start();
    fake.put({ id: 'held-1' });
    fake.script({ holdSnapshot: true });
    const watched = fake.nextWatch();
    const h = await startHarness(t.context.db.url, { fake });
    t.teardown(async () => {
      await h.stop();
      await fake.stop();
    });
    await watched;
    const ready = await get<{ status: string; checks: { event_stream: string } }>(h.base, '/readyz');
    t.is(ready.status, 503);
    t.is(ready.body.status, 'not ready');
    t.is(ready.body.checks.event_stream, 'connecting');
    const events = await get<{ status: number }>(h.base, '/events');
    t.is(events.status, 503);
    t.is(events.headers.get('content-type'), 'application/problem+json');
    t.is((await postBet(h.base, { event_id: 'held-1', amount: 1 })).status, 503);
    t.is((await get(h.base, '/healthz')).status, 200);

    const synced = new Promise((r) => h.run.watcher.once('synced', () => r(true)));
    fake.releaseSnapshot();
    await synced;
    t.is((await get(h.base, '/readyz')).status, 200);
    t.is((await get<EventView[]>(h.base, '/events')).body.length, 1);
  },
);

test.serial('when events expire or finish, then GET /events drops them', async (t) => {
  const h = await startHarness(t.context.db.url);
  t.teardown(() => h.stop());
  const soon = new Date(Date.now() + 1_500);
  h.fake.put({ id: 'open-late', coefficient: '3', deadline: new Date(Date.now() + 3_600_000) });
  h.fake.put({ id: 'open-soon', coefficient: '1.10', deadline: soon });
  h.fake.put({ id: 'past', deadline: new Date(Date.now() - 1_000) });
  h.fake.put({ id: 'finished' });
  h.fake.put({ id: 'finished', status: EventStatus.EVENT_STATUS_FINISHED_LOSE });
  await caughtUp(h);

  const first = await get<EventView[]>(h.base, '/events');
  t.is(first.status, 200);
  t.deepEqual(
    first.body.map((e) => e.event_id),
    ['open-soon', 'open-late'],
  );
  t.deepEqual(first.body[0], {
    event_id: 'open-soon',
    coefficient: '1.10',
    deadline: soon.toISOString(),
    status: 'NEW',
  });
  t.is(first.body[1]?.coefficient, '3.00');
  const etag = first.headers.get('etag') ?? '';
  t.is((await get(h.base, '/events', { 'If-None-Match': etag })).status, 304);

  // The filter is applied when the request is served: wait until the deadline has passed.
  await new Promise((r) => setTimeout(r, soon.getTime() - Date.now() + 10));
  const later = await get<EventView[]>(h.base, '/events');
  t.deepEqual(
    later.body.map((e) => e.event_id),
    ['open-late'],
  );
});

/** GET with `Accept-Encoding: gzip`: the status, the Content-Encoding and the bytes as sent. */
function getGzip(base: string, path: string): Promise<{ status: number; encoding: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          encoding: res.headers['content-encoding'] ?? '',
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test.serial(
  'when a client accepts gzip, then GET /events is the same list compressed, after changes too',
  async (t) => {
    const h = await startHarness(t.context.db.url);
    t.teardown(() => h.stop());
    const deadline = (i: number) => new Date(Date.now() + 3_600_000 + i * 1_000);
    // Several hundred events: the body spans several blocks, compressed one by one (EventCache).
    for (let i = 0; i < 600; i++) h.fake.put({ id: `gz-${i}`, coefficient: '1.50', deadline: deadline(i) });
    await caughtUp(h);
    const same = async () => {
      const zipped = await getGzip(h.base, '/events');
      t.is(zipped.status, 200);
      t.is(zipped.encoding, 'gzip');
      const plain = await call<string>(h.base, 'GET', '/events', {
        headers: { 'accept-encoding': 'identity' },
      });
      t.is(plain.headers.get('content-encoding'), null);
      const json = gunzipSync(zipped.body).toString('utf8');
      t.deepEqual(JSON.parse(json), plain.body);
      return JSON.parse(json) as EventView[];
    };
    t.is((await same()).length, 600);

    h.fake.put({ id: 'gz-300', coefficient: '2.75', deadline: deadline(300) });
    h.fake.put({ id: 'gz-0', status: EventStatus.EVENT_STATUS_FINISHED_WIN });
    h.fake.put({ id: 'gz-new', coefficient: '9.99', deadline: deadline(450.5) });
    await caughtUp(h);
    const after = await same();
    t.is(after.length, 600);
    t.is(after.find((e) => e.event_id === 'gz-300')?.coefficient, '2.75');
    t.is(
      after.findIndex((e) => e.event_id === 'gz-new'),
      450,
    );
    t.false(after.some((e) => e.event_id === 'gz-0'));
  },
);

test.serial('when asked for the operational routes, then they answer', async (t) => {
  const h = await startHarness(t.context.db.url);
  t.teardown(() => h.stop());
  await caughtUp(h);
  const ready = await get<{ status: string; checks: Record<string, unknown>; orphaned_bets: number }>(
    h.base,
    '/readyz',
  );
  t.is(ready.status, 200);
  t.like(ready.body, { status: 'ready', checks: { database: 'ok', event_stream: 'live', synced: true } });
  t.deepEqual(await get(h.base, '/healthz').then((r) => r.body), { status: 'ok' });

  await postBet(h.base, { event_id: 'nope', amount: 1 });
  const metrics = await get<string>(h.base, '/metrics');
  t.is(metrics.status, 200);
  for (const name of [
    'betmaker_bets_placed_total',
    'betmaker_bets_refused_total{reason="event_not_found"} 1',
    'betmaker_bets_settled_total',
    'betmaker_http_request_duration_seconds_bucket',
    'betmaker_watch_stream_state 2',
    'betmaker_watch_reconnects_total',
    'betmaker_orphaned_bets 0',
  ]) {
    t.true(metrics.body.includes(name), name);
  }

  const missing = await get<{ status: number }>(h.base, '/nope');
  t.is(missing.status, 404);
  t.is(missing.headers.get('content-type'), 'application/problem+json');
  const wrongMethod = await call<{ status: number }>(h.base, 'DELETE', '/bets');
  t.is(wrongMethod.status, 405);
  t.is(wrongMethod.body.status, 405);
});

test.serial('when /openapi.json is fetched, then it documents every route with schemas', async (t) => {
  const h = await startHarness(t.context.db.url);
  t.teardown(() => h.stop());
  const doc = await get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
    h.base,
    '/openapi.json',
  );
  t.is(doc.status, 200);
  t.regex(doc.body.openapi, /^3\./);
  const routes = Object.entries(doc.body.paths).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => `${m} ${p}`),
  );
  for (const r of [
    'get /events',
    'post /bet',
    'get /bets',
    'get /bets/{bet_id}',
    'get /healthz',
    'get /readyz',
    'get /metrics',
    'get /openapi.json',
    'get /docs',
  ]) {
    t.true(routes.includes(r), r);
  }
  const post = doc.body.paths['/bet']?.post as { responses: Record<string, unknown> };
  t.deepEqual(Object.keys(post.responses).sort(), [
    '201',
    '400',
    '404',
    '409',
    '413',
    '415',
    '422',
    '429',
    '503',
  ]);
});

test.serial('when /docs is fetched, then the page and its assets come from bet-maker itself', async (t) => {
  const h = await startHarness(t.context.db.url);
  t.teardown(() => h.stop());
  const page = await get<string>(h.base, '/docs');
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /text\/html/);
  const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
  t.true(refs.length >= 3);
  t.deepEqual(
    refs.filter((r) => /^(https?:)?\/\//.test(r)),
    [],
  );
  t.true(page.body.includes('/openapi.json'));
  for (const ref of refs) {
    const res = await fetch(h.base + ref);
    t.is(res.status, 200, ref);
    await res.arrayBuffer();
  }
});
