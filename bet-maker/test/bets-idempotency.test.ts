import anyTest, { type TestFn } from 'ava';
import { postBet } from './helpers/http.js';
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

test('when the same Idempotency-Key and body are replayed, then the same bet comes back once', async (t) => {
  const id = await openEvent(t);
  const key = `key-${id}`;
  const first = await postBet<Bet>(
    t.context.h.base,
    { event_id: id, amount: 10.5 },
    { 'Idempotency-Key': key },
  );
  const again = await postBet<Bet>(
    t.context.h.base,
    { event_id: id, amount: '10.50' },
    { 'Idempotency-Key': key },
  );
  t.is(first.status, 201);
  t.is(again.status, 201);
  t.is(again.headers.get('idempotent-replayed'), 'true');
  t.deepEqual(again.body, first.body);
  t.is(await countBets(t, id), 1);
});

test('when an Idempotency-Key is reused with another body, then 422 and nothing stored', async (t) => {
  const id = await openEvent(t);
  const key = `key-${id}`;
  await postBet(t.context.h.base, { event_id: id, amount: 1 }, { 'Idempotency-Key': key });
  const other = await postBet<Problem>(
    t.context.h.base,
    { event_id: id, amount: 2 },
    { 'Idempotency-Key': key },
  );
  t.is(other.status, 422);
  t.is(other.body.type, 'urn:bet-maker:problem:idempotency_key_reused');
  t.is(await countBets(t, id), 1);
});

test('when concurrent requests share an Idempotency-Key, then one bet is stored', async (t) => {
  const id = await openEvent(t);
  const replies = await Promise.all(
    Array.from({ length: 8 }, () =>
      postBet<Bet>(t.context.h.base, { event_id: id, amount: 3 }, { 'Idempotency-Key': `race-${id}` }),
    ),
  );
  t.true(replies.every((r) => r.status === 201));
  t.is(new Set(replies.map((r) => r.body.bet_id)).size, 1);
  t.is(await countBets(t, id), 1);
});
