import test from 'ava';
import { status as Status } from '@grpc/grpc-js';

import type { EventStore } from '../src/app.js';
import { encodePageToken } from '../src/grpc/page-token.js';
import { buildCreate, rpc, startServer } from './helpers.js';

/** Creates `count` events with ids `ev-0000`, `ev-0001`, ... directly in the store, in shuffled order. */
async function seed(store: EventStore, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `ev-${String(i).padStart(4, '0')}`);
  const shuffled = ids.map((id, i) => ({ id, key: (i * 7919) % count })).sort((a, b) => a.key - b.key);
  for (const { id } of shuffled) {
    await store.create({ eventId: id, coefficient: '1.10', deadline: new Date(Date.now() + 3_600_000) });
  }
  return ids;
}

test('when an event exists, then GetEvent returns it', async (t) => {
  const { client } = await startServer(t);
  const created = await rpc.create(client, buildCreate());

  t.deepEqual(await rpc.get(client, created.eventId), created);
});

test('when no event has the id, then GetEvent is NOT_FOUND', async (t) => {
  const { client } = await startServer(t);

  await t.throwsAsync(rpc.get(client, 'nope'), { code: Status.NOT_FOUND, message: /"nope" not found/ });
});

test('when GetEvent has no id, then INVALID_ARGUMENT names event_id', async (t) => {
  const { client } = await startServer(t);

  await t.throwsAsync(rpc.get(client, ''), {
    code: Status.INVALID_ARGUMENT,
    message: /event_id: is required/,
  });
});

test('when there are no events, then ListEvents returns an empty last page', async (t) => {
  const { client } = await startServer(t);

  t.deepEqual(await rpc.list(client), { events: [], nextPageToken: '' });
});

test('when listing page by page, then every event comes once, ordered by id', async (t) => {
  const { client, app } = await startServer(t);
  const ids = await seed(app.store, 250);

  const pages: string[][] = [];
  let pageToken = '';
  do {
    const page = await rpc.list(client, { pageSize: 100, pageToken });
    pages.push(page.events.map((event) => event.eventId));
    pageToken = page.nextPageToken;
  } while (pageToken !== '');

  t.deepEqual(
    pages.map((page) => page.length),
    [100, 100, 50],
  );
  t.deepEqual(pages.flat(), ids);
});

test('when the page size is 0, then 100 events come; when it is above 1000, then 1000', async (t) => {
  const { client, app } = await startServer(t);
  await seed(app.store, 1005);

  const byDefault = await rpc.list(client, { pageSize: 0 });
  const capped = await rpc.list(client, { pageSize: 5000 });
  const rest = await rpc.list(client, { pageSize: 5000, pageToken: capped.nextPageToken });

  t.is(byDefault.events.length, 100);
  t.is(capped.events.length, 1000);
  t.deepEqual(
    rest.events.map((event) => event.eventId),
    ['ev-1000', 'ev-1001', 'ev-1002', 'ev-1003', 'ev-1004'],
  );
  t.is(rest.nextPageToken, '');
});

test('when events are created between pages, then the next page continues after the last id seen', async (t) => {
  const { client, app } = await startServer(t);
  await seed(app.store, 4);
  const first = await rpc.list(client, { pageSize: 2 });

  await rpc.create(client, buildCreate({ eventId: 'ev-0000a' }));
  await rpc.create(client, buildCreate({ eventId: 'ev-0001a' }));
  const second = await rpc.list(client, { pageSize: 10, pageToken: first.nextPageToken });

  t.deepEqual(
    second.events.map((event) => event.eventId),
    ['ev-0001a', 'ev-0002', 'ev-0003'],
  );
});

for (const [label, pageToken] of [
  ['not base64url', '!!!'],
  ['base64url of something else', Buffer.from('hello').toString('base64url')],
  ['padded base64', `${encodePageToken('ev-0001')}=`],
  ['a token holding an invalid id', Buffer.from('v1:\u0001').toString('base64url')],
]) {
  test(`when the page token is ${label}, then INVALID_ARGUMENT names page_token`, async (t) => {
    const { client } = await startServer(t);

    await t.throwsAsync(rpc.list(client, { pageToken }), {
      code: Status.INVALID_ARGUMENT,
      message: /page_token: /,
    });
  });
}
