import anyTest, { type TestFn } from 'ava';
import { settled } from './helpers/harness.js';
import { get, postBet } from './helpers/http.js';
import { openEvent, useSharedApp, type Bet, type Problem, type Shared } from './helpers/shared-app.js';

const test = anyTest as TestFn<Shared>;
useSharedApp(test);

test('when there are more bets than a page, then the Link header walks them newest first', async (t) => {
  const id = await openEvent(t);
  const placed: string[] = [];
  for (let i = 0; i < 23; i++) {
    placed.push((await postBet<Bet>(t.context.h.base, { event_id: id, amount: i + 1 })).body.bet_id);
  }
  const seen: string[] = [];
  let path: string | undefined = `/bets?event_id=${id}&limit=5`;
  let pages = 0;
  while (path !== undefined) {
    const res: Awaited<ReturnType<typeof get<Bet[]>>> = await get<Bet[]>(t.context.h.base, path);
    t.is(res.status, 200);
    seen.push(...res.body.map((b) => b.bet_id));
    pages++;
    const link = res.headers.get('link');
    path = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
  }
  t.is(pages, 5);
  t.deepEqual(seen, [...placed].reverse());
});

test('when filtering by status, then only those bets are listed', async (t) => {
  const id = await openEvent(t);
  await postBet(t.context.h.base, { event_id: id, amount: 1 });
  const done = settled(t.context.h, id);
  t.context.h.fake.finish(id, false);
  await done;
  const lost = await get<Bet[]>(t.context.h.base, `/bets?event_id=${id}&status=LOST`);
  const pending = await get<Bet[]>(t.context.h.base, `/bets?event_id=${id}&status=PENDING`);
  t.is(lost.body.length, 1);
  t.is(pending.body.length, 0);
});

for (const query of [
  'status=OPEN',
  'limit=0',
  'limit=501',
  'limit=abc',
  'cursor=!!',
  'cursor=eyJ2IjoyfQ',
  'foo=1',
  'status=WON&status=LOST',
]) {
  test(`when GET /bets has ${query}, then 400 problem`, async (t) => {
    const res = await get<Problem>(t.context.h.base, `/bets?${query}`);
    t.is(res.status, 400);
    t.is(res.headers.get('content-type'), 'application/problem+json');
    t.true((res.body.errors?.length ?? 0) > 0);
  });
}

for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '1', "'; DROP TABLE bets; --"]) {
  test(`when GET /bets/${id} does not exist, then 404 problem`, async (t) => {
    const res = await get<Problem>(t.context.h.base, `/bets/${encodeURIComponent(id)}`);
    t.is(res.status, 404);
    t.like(res.body, { status: 404, title: 'Bet not found' });
  });
}
