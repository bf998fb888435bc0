import anyTest, { type TestFn } from 'ava';
import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { caughtUp, settled } from './helpers/harness.js';
import { call, get, postBet } from './helpers/http.js';
import {
  countBets,
  openEvent,
  useSharedApp,
  type Bet,
  type Problem,
  type Shared,
} from './helpers/shared-app.js';

const test = anyTest as TestFn<Shared>;
useSharedApp(test);
let seq = 0;

test('when a valid bet is posted, then it is stored PENDING with the coefficient in force', async (t) => {
  const id = await openEvent(t, '2.5');
  const res = await postBet<Bet>(t.context.h.base, { event_id: id, amount: 10.5 });
  t.is(res.status, 201);
  t.regex(res.body.bet_id, /^[0-9a-f-]{36}$/);
  t.like(res.body, {
    event_id: id,
    amount: '10.50',
    coefficient: '2.50',
    status: 'PENDING',
    settled_at: null,
  });
  t.regex(res.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.is(res.headers.get('location'), `/bets/${res.body.bet_id}`);
  const one = await get<Bet>(t.context.h.base, `/bets/${res.body.bet_id}`);
  t.is(one.status, 200);
  t.deepEqual(one.body, res.body);
});

test('when the amount is a decimal string, then it is kept exactly', async (t) => {
  const id = await openEvent(t);
  const res = await postBet<Bet>(t.context.h.base, { event_id: id, amount: '999999.99' });
  t.is(res.status, 201);
  t.is(res.body.amount, '999999.99');
});

test('when the event finishes, then its bets become WON or LOST', async (t) => {
  const win = await openEvent(t);
  const lose = await openEvent(t);
  const bw = await postBet<Bet>(t.context.h.base, { event_id: win, amount: 1 });
  const bl = await postBet<Bet>(t.context.h.base, { event_id: lose, amount: 2 });
  const done = Promise.all([settled(t.context.h, win), settled(t.context.h, lose)]);
  t.context.h.fake.finish(win, true);
  t.context.h.fake.finish(lose, false);
  t.deepEqual(await done, [1, 1]);
  const w = await get<Bet>(t.context.h.base, `/bets/${bw.body.bet_id}`);
  const l = await get<Bet>(t.context.h.base, `/bets/${bl.body.bet_id}`);
  t.is(w.body.status, 'WON');
  t.is(l.body.status, 'LOST');
  t.truthy(w.body.settled_at);
});

test('when the event has finished, then a bet is refused with 409 and not stored', async (t) => {
  const id = await openEvent(t);
  t.context.h.fake.finish(id, true);
  await caughtUp(t.context.h);
  const res = await postBet<Problem>(t.context.h.base, { event_id: id, amount: 5 });
  t.is(res.status, 409);
  t.is(res.headers.get('content-type'), 'application/problem+json');
  t.like(res.body, { status: 409, type: 'urn:bet-maker:problem:event_closed' });
  t.is(await countBets(t, id), 0);
});

test('when the deadline has passed, then a bet is refused with 409 and not stored', async (t) => {
  const id = `expired-${++seq}`;
  t.context.h.fake.put({ id, deadline: new Date(Date.now() - 1000) });
  await caughtUp(t.context.h);
  const res = await postBet<Problem>(t.context.h.base, { event_id: id, amount: 5 });
  t.is(res.status, 409);
  t.is(await countBets(t, id), 0);
});

test('when the event is unknown, then 404 problem', async (t) => {
  const res = await postBet<Problem>(t.context.h.base, { event_id: 'no-such-event', amount: 5 });
  t.is(res.status, 404);
  t.like(res.body, { status: 404, title: 'Event not found' });
});

for (const [name, body, status, field] of [
  ['a non-positive amount', { event_id: 'x', amount: 0 }, 422, 'amount'],
  ['a negative amount', { event_id: 'x', amount: '-1' }, 422, 'amount'],
  ['three decimal places', { event_id: 'x', amount: '1.005' }, 422, 'amount'],
  ['a float with many places', { event_id: 'x', amount: 0.1 + 0.2 }, 422, 'amount'],
  ['an exponent', { event_id: 'x', amount: '1e3' }, 422, 'amount'],
  ['a huge number', { event_id: 'x', amount: 1e21 }, 422, 'amount'],
  ['an amount over the maximum', { event_id: 'x', amount: '1000000.01' }, 422, 'amount'],
  ['a too long event id', { event_id: 'x'.repeat(65), amount: 1 }, 422, 'event_id'],
  ['a missing amount', { event_id: 'x' }, 400, 'amount'],
  ['an amount of the wrong type', { event_id: 'x', amount: true }, 400, 'amount'],
  ['a numeric event id', { event_id: 7, amount: 1 }, 400, 'event_id'],
  ['an unknown field', { event_id: 'x', amount: 1, extra: 1 }, 400, 'extra'],
  ['an array body', [1, 2], 400, ''],
] as const) {
  test(`when the body has ${name}, then ${status} problem naming ${field || 'the body'}`, async (t) => {
    // An open event, so that only validation can stand between the request and a stored bet.
    const id = await openEvent(t);
    const withEvent: unknown = 'event_id' in body && body.event_id === 'x' ? { ...body, event_id: id } : body;
    const res = await postBet<Problem>(t.context.h.base, withEvent);
    t.is(res.status, status);
    t.is(res.headers.get('content-type'), 'application/problem+json');
    t.true(
      res.body.errors?.some((e) => e.field === field),
      JSON.stringify(res.body),
    );
    t.is(await countBets(t, id), 0);
  });
}

test('when the body is not JSON, then 400 problem; when not application/json, then 415', async (t) => {
  const bad = await call<Problem>(t.context.h.base, 'POST', '/bet', {
    raw: '{"event_id": ',
    headers: { 'content-type': 'application/json' },
  });
  t.is(bad.status, 400);
  t.like(bad.body, { status: 400, title: 'Malformed request' });
  const text = await call<Problem>(t.context.h.base, 'POST', '/bet', {
    raw: 'event_id=x&amount=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.is(text.status, 415);
  t.is(text.headers.get('content-type'), 'application/problem+json');
});

test('when many bets settle in several batches, then none stays pending', async (t) => {
  const id = await openEvent(t);
  await t.context.sql.query(
    `INSERT INTO bets (event_id, amount, coefficient) SELECT $1, 1, 1.75 FROM generate_series(1, 2500)`,
    [id],
  );
  const done = settled(t.context.h, id);
  t.context.h.fake.put({ id, status: EventStatus.EVENT_STATUS_FINISHED_WIN });
  t.is(await done, 2500);
  const left = await t.context.sql.query<{ count: string }>(
    `SELECT count(*) FROM bets WHERE event_id = $1 AND status = 'PENDING'`,
    [id],
  );
  t.is(Number(left.rows[0]?.count), 0);
  const ev = await t.context.sql.query<{ settled_at: unknown }>(
    'SELECT settled_at FROM events WHERE id = $1',
    [id],
  );
  t.truthy(ev.rows[0]?.settled_at);
});
