import test from 'ava';
import fc from 'fast-check';
import { loadConfig } from '../src/config.js';
import { topLevelMembers } from '../src/http/json-members.js';
import { clientKey, TokenBuckets } from '../src/http/rate-limit.js';
import { parsePlaceBet } from '../src/http/schemas.js';

test('when a client spends its burst, then it waits for the refill and others are not affected', (t) => {
  let now = 0;
  const buckets = new TokenBuckets({ perSecond: 2, burst: 3, now: () => now });
  t.deepEqual(
    [1, 2, 3].map(() => buckets.take('a')),
    [0, 0, 0],
  );
  t.is(buckets.take('a'), 0.5, 'half a second until the next token');
  t.is(buckets.take('b'), 0);
  now = 499;
  t.true(buckets.take('a') > 0);
  now = 1_000;
  t.is(buckets.take('a'), 0);
  now = 1_000_000;
  t.deepEqual(
    [1, 2, 3, 4].map(() => buckets.take('a') === 0),
    [true, true, true, false],
    'never more than the burst',
  );
});

test('when the table is full, then idle clients are dropped first and it never grows past the cap', (t) => {
  let now = 0;
  const buckets = new TokenBuckets({ perSecond: 1, burst: 1, now: () => now, maxClients: 100 });
  for (let i = 0; i < 100; i++) buckets.take(`busy-${i}`);
  now = 500;
  for (let i = 0; i < 1_000; i++) buckets.take(`new-${i}`);
  t.true(buckets.size <= 100);
  now = 10_000;
  buckets.take('late');
  t.true(buckets.size <= 100);
});

test('when addresses are keyed, then IPv4 is kept, IPv6 is cut to its /64 and mapped IPv4 is unwrapped', (t) => {
  t.is(clientKey('203.0.113.7'), '203.0.113.7');
  t.is(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  t.is(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.is(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  t.is(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.is(clientKey('::1'), '0:0:0:0::/64');
  t.is(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('when a JSON object is scanned, then its top-level keys come in order with number literals as written', (t) => {
  t.deepEqual(topLevelMembers('{"event_id":"a,\\"b\\":1","amount":1e2}'), [
    { key: 'event_id' },
    { key: 'amount', number: '1e2' },
  ]);
  t.deepEqual(topLevelMembers('{ "a" : [1, {"b": 2}], "a": -0.50 , "c":{"d":3}}'), [
    { key: 'a' },
    { key: 'a', number: '-0.50' },
    { key: 'c' },
  ]);
  t.deepEqual(topLevelMembers('{"\\u0061mount":1}'), [{ key: 'amount', number: '1' }]);
});

test('when any JSON object is scanned, then its keys are those JSON.parse sees (duplicates aside)', (t) => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (object) => {
      const text = JSON.stringify(object);
      const members = topLevelMembers(text);
      t.deepEqual(
        members.map((m) => m.key),
        Object.keys(JSON.parse(text) as object),
      );
      for (const m of members) {
        const value = (JSON.parse(text) as Record<string, unknown>)[m.key];
        if (typeof value === 'number') t.is(Number(m.number), value);
        else t.is(m.number, undefined);
      }
    }),
    { numRuns: 300 },
  );
});

test('when the raw body is given, then a JSON number amount is judged as written', (t) => {
  t.is(parsePlaceBet({ event_id: 'e', amount: 10.5 }, '{"event_id":"e","amount":10.50}').amountCents, 1050n);
  t.throws(() => parsePlaceBet({ event_id: 'e', amount: 100 }, '{"event_id":"e","amount":1e2}'), {
    message: 'The bet is not valid.',
  });
  t.throws(() => parsePlaceBet({ event_id: 'e', amount: 1 }, '{"event_id":"e","amount":5,"amount":1}'), {
    message: 'The body does not have the expected shape.',
  });
});

test('when security settings come from the environment, then they are parsed and checked once', (t) => {
  const base = { DATABASE_URL: 'postgres://u@h/db' };
  const none = loadConfig(base);
  t.is(none.lineProviderReadToken, undefined);
  t.is(none.lineProviderTls, undefined);
  t.deepEqual(none.rateLimit, { perSecond: 0, burst: 1 });
  t.false(none.trustProxy);
  const all = loadConfig({
    ...base,
    LINE_PROVIDER_READ_TOKEN: 'tok',
    LINE_PROVIDER_TLS_CA: '/ca.pem',
    LINE_PROVIDER_TLS_CERT: '/c.pem',
    LINE_PROVIDER_TLS_KEY: '/k.pem',
    RATE_LIMIT_PER_SECOND: '2.5',
    TRUST_PROXY: 'true',
    CURSOR_SECRET: 'sixteen chars at least',
  });
  t.like(all, {
    lineProviderReadToken: 'tok',
    lineProviderTls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
    rateLimit: { perSecond: 2.5, burst: 3 },
    trustProxy: true,
  });
  for (const [env, message] of [
    [{ LINE_PROVIDER_READ_TOKEN: 'has space' }, /LINE_PROVIDER_READ_TOKEN/],
    [{ LINE_PROVIDER_TLS_CERT: '/c.pem' }, /LINE_PROVIDER_TLS_KEY/],
    [{ LINE_PROVIDER_TLS_CERT: '/c.pem', LINE_PROVIDER_TLS_KEY: '/k.pem' }, /need LINE_PROVIDER_TLS_CA/],
    [{ RATE_LIMIT_PER_SECOND: '-1' }, /RATE_LIMIT_PER_SECOND/],
    [{ RATE_LIMIT_BURST: '0' }, /RATE_LIMIT_BURST/],
    [{ CURSOR_SECRET: 'short' }, /CURSOR_SECRET/],
  ] as const) {
    t.throws(() => loadConfig({ ...base, ...env }), { message }, JSON.stringify(env));
  }
});
