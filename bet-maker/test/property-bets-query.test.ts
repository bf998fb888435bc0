/**
 * GET /bets with generated query strings (known and unknown parameters, repeats, odd values, malformed
 * percent escapes, real, tampered and random cursors) and GET /bets/{bet_id} with generated ids: every
 * answer is a 200 or a 4xx problem, never a 5xx or a hang, and a 200 page is well-formed.
 * Failures print a seed: `FC_SEED=<seed> npx ava bet-maker/test/property-bets-query.test.ts` replays it.
 */
import { Agent } from 'node:http';
import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import { createTestDatabase, testPool, type TestDatabase } from './helpers/database.js';
import { caughtUp, startHarness, settled, type Harness } from './helpers/harness.js';
import { sendRaw, type RawReply } from './helpers/raw-http.js';

interface Context {
  db: TestDatabase;
  h: Harness;
  agent: Agent;
  events: string[];
  /** Cursors taken from real Link headers. */
  cursors: string[];
}

const test = anyTest as TestFn<Context>;
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const options = (numRuns: number) => ({
  numRuns,
  includeErrorInReport: true,
  ...(seed === undefined ? {} : { seed }),
});

test.before(async (t) => {
  const db = await createTestDatabase();
  const h = await startHarness(db.url);
  await new Promise<void>((r) => (h.run.watcher.synced ? r() : h.run.watcher.once('synced', r)));
  const events = [`q-open-${process.pid}`, `q-won-${process.pid}`];
  for (const id of events) h.fake.put({ id, deadline: new Date(Date.now() + 3_600_000) });
  await caughtUp(h);
  const sql = testPool(db.url, 1);
  await sql.query(
    `INSERT INTO bets (event_id, amount, coefficient) SELECT $1, g, 1.5 FROM generate_series(1, 40) g
     UNION ALL SELECT $2, g, 1.5 FROM generate_series(1, 25) g`,
    events,
  );
  await sql.end();
  const done = settled(h, events[1] ?? '');
  h.fake.finish(events[1] ?? '', true);
  await done;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const cursors: string[] = [];
  for (const first of ['/bets?limit=7', '/bets?limit=3&status=WON', `/bets?limit=11&event_id=${events[0]}`]) {
    let path: string | undefined = first;
    while (path !== undefined) {
      const res = await sendRaw(h.base, { method: 'GET', path }, agent);
      path = nextLink(res);
      const cursor = path === undefined ? undefined : new URL(path, h.base).searchParams.get('cursor');
      if (cursor) cursors.push(cursor);
    }
  }
  t.context = { db, h, agent, events, cursors };
});

test.after.always(async (t) => {
  t.context.agent?.destroy();
  await t.context.h?.stop();
  await t.context.db?.drop();
});

function nextLink(res: RawReply): string | undefined {
  const link = res.headers.link;
  return typeof link === 'string' ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
}

/** Edits a real cursor the ways a client (or an attacker) might. */
const tampered = (cursors: string[]) =>
  fc
    .tuple(
      fc.constantFrom(...cursors),
      fc.nat(),
      fc.constantFrom('flip', 'cut', 'grow', 'case', 'swap', 'pad'),
    )
    .map(([c, n, how]) => {
      const i = n % c.length;
      const ch = c[i] ?? 'A';
      switch (how) {
        case 'flip':
          return c.slice(0, i) + (ch === 'A' ? 'B' : 'A') + c.slice(i + 1);
        case 'cut':
          return c.slice(0, i);
        case 'grow':
          return `${c}${c.slice(0, (n % 8) + 1)}`;
        case 'case':
          return (
            c.slice(0, i) + (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) + c.slice(i + 1)
          );
        case 'swap':
          return c.slice(i) + c.slice(0, i);
        default:
          return `${c}=`;
      }
    });

const cursorValue = (cursors: string[]) =>
  fc.oneof(
    fc.constantFrom(...cursors),
    tampered(cursors),
    fc.base64String({ maxLength: 120 }).map((s) => s.replaceAll('+', '-').replaceAll('/', '_')),
    fc.stringMatching(/^[A-Za-z0-9_-]{40,60}$/),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.constantFrom('', 'null', 'eyJ2IjoxLCJiZWZvcmUiOiIxMCJ9', 'e30', '0', '-1', 'AAAA'),
  );

const valueFor = (name: string, events: string[], cursors: string[]): fc.Arbitrary<string> => {
  switch (name) {
    case 'status':
      return fc.oneof(
        fc.constantFrom('PENDING', 'WON', 'LOST', 'pending', 'NEW', '', 'WON,LOST'),
        fc.string(),
      );
    case 'event_id':
      return fc.oneof(
        fc.constantFrom(...events, 'nope', ''),
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.string({ minLength: 60, maxLength: 200 }),
      );
    case 'limit':
      return fc.oneof(
        fc.integer({ min: -10, max: 1_000 }).map(String),
        fc.constantFrom(
          '',
          '1e2',
          '0x10',
          ' 5',
          '5.0',
          '05',
          '99999999999999999999',
          'NaN',
          'Infinity',
          '-0',
        ),
        fc.string({ maxLength: 10 }),
      );
    case 'cursor':
      return cursorValue(cursors);
    default:
      return fc.string({ unit: 'binary', maxLength: 40 });
  }
};

const paramName = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('status', 'event_id', 'limit', 'cursor') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'status[]', 'limit[0]', 'Status', ''),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);

/** Percent-encodes properly most of the time; sometimes sends raw printable bytes and broken escapes. */
const encoded = (value: string) =>
  fc.constantFrom('proper', 'proper', 'proper', 'raw', 'broken').map((how) => {
    if (how === 'proper') return encodeURIComponent(value);
    const printable = [...value].map((c) =>
      /^[\x21-\x7e]$/.test(c) && c !== '&' && c !== '#' ? c : encodeURIComponent(c),
    );
    return how === 'raw'
      ? printable.join('')
      : `${printable.join('')}%${['', 'z', 'E0%A4%A', 'F', 'C3'][value.length % 5]}`;
  });

const queryString = (events: string[], cursors: string[]) =>
  fc
    .array(
      paramName.chain((name) =>
        valueFor(name, events, cursors).chain((value) =>
          fc.tuple(encoded(name), encoded(value)).map(([n, v]) => `${n}=${v}`),
        ),
      ),
      { maxLength: 6 },
    )
    .chain((pairs) => fc.constantFrom('&', '&', '&&', ';').map((sep) => pairs.join(sep)));

function judgeList(res: RawReply): string | undefined {
  if (res.status !== 200 && res.status !== 400) return `status ${res.status}: ${res.text}`;
  if (res.status === 400) {
    if (res.headers['content-type'] !== 'application/problem+json')
      return `400 as ${String(res.headers['content-type'])}`;
    const problem = JSON.parse(res.text) as { status?: unknown; errors?: unknown };
    return problem.status === 400 && Array.isArray(problem.errors) ? undefined : `bad problem ${res.text}`;
  }
  const page = JSON.parse(res.text) as unknown;
  if (!Array.isArray(page) || page.length > 500) return `not a page: ${res.text.slice(0, 200)}`;
  const link = res.headers.link;
  if (link !== undefined && nextLink(res) === undefined) return `odd Link header ${String(link)}`;
  return undefined;
}

test.serial('when GET /bets gets generated query strings, then it answers 200 or 400 only', async (t) => {
  t.timeout(120_000);
  const { h, agent, events, cursors } = t.context;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(queryString(events, cursors), async (query) => {
      const res = await sendRaw(h.base, { method: 'GET', path: `/bets?${query}` }, agent);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const wrong = judgeList(res);
      if (wrong !== undefined) throw new Error(`${query}: ${wrong}`);
      // A next link the service wrote is always usable.
      const next = nextLink(res);
      if (next !== undefined) {
        const following = await sendRaw(h.base, { method: 'GET', path: next }, agent);
        if (following.status !== 200) throw new Error(`${next}: ${following.status} ${following.text}`);
      }
    }),
    options(2_500),
  );
  t.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.true((statuses.get(200) ?? 0) > 200 && (statuses.get(400) ?? 0) > 200, 'both answers are reached');
});

test.serial('when a real cursor is edited in any way, then the answer is 400, never a page', async (t) => {
  const { h, agent, cursors } = t.context;
  await fc.assert(
    fc.asyncProperty(tampered(cursors), async (cursor) => {
      fc.pre(!cursors.includes(cursor));
      const res = await sendRaw(
        h.base,
        { method: 'GET', path: `/bets?cursor=${encodeURIComponent(cursor)}` },
        agent,
      );
      if (res.status !== 400) throw new Error(`${cursor}: ${res.status} ${res.text.slice(0, 200)}`);
    }),
    options(500),
  );
  t.pass();
});

test.serial('when GET /bets/{bet_id} gets generated ids, then it answers 200 or 404 only', async (t) => {
  const { h, agent } = t.context;
  const id = fc.oneof(
    fc.uuid(),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom(
      '%',
      '%zz',
      '%E0%A4%A',
      '..',
      '%2e%2e',
      '00000000-0000-0000-0000-000000000000',
      "1' OR '1'='1",
    ),
  );
  await fc.assert(
    fc.asyncProperty(id, async (betId) => {
      const segment = [...betId]
        .map((c) =>
          /^[\x21-\x7e]$/.test(c) && c !== '/' && c !== '?' && c !== '#' ? c : encodeURIComponent(c),
        )
        .join('');
      const res = await sendRaw(h.base, { method: 'GET', path: `/bets/${segment}` }, agent);
      if (res.status !== 200 && res.status !== 404) throw new Error(`${segment}: ${res.status} ${res.text}`);
    }),
    options(800),
  );
  t.pass();
});
