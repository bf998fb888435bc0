import test from 'ava';
import { status as Status } from '@grpc/grpc-js';

import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { buildCreate, nextClose, rpc, startServer, StreamReader, watch } from './helpers.js';

test('when a watch opens, then a header, the snapshot ordered by id, its end, then each change in order', async (t) => {
  const { client, app } = await startServer(t);
  const b = await rpc.create(client, buildCreate({ eventId: 'b' }));
  const a = await rpc.create(client, buildCreate({ eventId: 'a' }));
  const finished = await rpc.finish(client, { eventId: 'b', status: EventStatus.EVENT_STATUS_FINISHED_LOSE });
  const reader = new StreamReader(watch(client));

  const snapshot = await reader.readSnapshot();
  const created = await rpc.create(client, buildCreate({ eventId: 'c' }));
  const updated = await rpc.update(client, { eventId: 'a', coefficient: '4.20' });
  const won = await rpc.finish(client, { eventId: 'a', status: EventStatus.EVENT_STATUS_FINISHED_WIN });

  t.deepEqual(snapshot.header, {
    instanceId: app.instanceId,
    snapshotRevision: '3',
    eventCount: '2',
    resumed: false,
  });
  t.deepEqual(snapshot.events, [a, finished]);
  t.not(b.revision, finished.revision);
  t.deepEqual(snapshot.end, { snapshotRevision: '3' });
  t.deepEqual(await reader.nextChange(), created);
  t.deepEqual(await reader.nextChange(), updated);
  t.deepEqual(await reader.nextChange(), won);
});

test('when the store is empty, then the snapshot has no chunk and live changes follow', async (t) => {
  const { client } = await startServer(t);
  const reader = new StreamReader(watch(client));

  const snapshot = await reader.readSnapshot();
  const created = await rpc.create(client, buildCreate());

  t.deepEqual(snapshot.chunkSizes, []);
  t.is(snapshot.header.snapshotRevision, '0');
  t.deepEqual(await reader.nextChange(), created);
});

test('when the snapshot is bigger than a chunk, then it comes in chunks of the configured size', async (t) => {
  const { client, app } = await startServer(t, { snapshotChunkSize: 2 });
  for (const eventId of ['e1', 'e2', 'e3', 'e4', 'e5']) await app.store.create(buildCreate({ eventId }));

  const snapshot = await new StreamReader(watch(client)).readSnapshot();

  t.deepEqual(snapshot.chunkSizes, [2, 2, 1]);
  t.is(snapshot.header.eventCount, '5');
});

test('when nothing changes, then heartbeats carry the current revision', async (t) => {
  const { client, app } = await startServer(t, { heartbeatMs: 50 });
  await app.store.create(buildCreate());
  const reader = new StreamReader(watch(client));
  await reader.readSnapshot();

  const first = await reader.expect('heartbeat');
  const created = await rpc.create(client, buildCreate());
  const change = await reader.nextChange();
  const next = await reader.expect('heartbeat');

  t.deepEqual(first, { revision: '1' });
  t.deepEqual(change, created);
  t.deepEqual(next, { revision: '2' });
});

test('when a watcher resumes on the same instance within the ring, then it gets only the changes it missed', async (t) => {
  const { client, app } = await startServer(t);
  await app.store.create(buildCreate({ eventId: 'a' }));
  const first = new StreamReader(watch(client));
  const { header } = await first.readSnapshot();
  first.stream.cancel();
  const missed = [
    await rpc.create(client, buildCreate({ eventId: 'b' })),
    await rpc.update(client, { eventId: 'a', coefficient: '7.00' }),
  ];

  const reader = new StreamReader(
    watch(client, { resumeInstanceId: header.instanceId, resumeRevision: header.snapshotRevision }),
  );
  const resumed = await reader.expect('header');
  const replayed = [await reader.nextChange(), await reader.nextChange()];
  const live = await rpc.finish(client, { eventId: 'b', status: EventStatus.EVENT_STATUS_FINISHED_WIN });

  t.deepEqual(resumed, { instanceId: app.instanceId, snapshotRevision: '1', eventCount: '0', resumed: true });
  t.deepEqual(replayed, missed);
  t.deepEqual(await reader.nextChange(), live);
});

test('when a watcher resumes at the current revision, then no snapshot and no change is replayed', async (t) => {
  const { client, app } = await startServer(t);
  await app.store.create(buildCreate());

  const reader = new StreamReader(watch(client, { resumeInstanceId: app.instanceId, resumeRevision: '1' }));

  t.like(await reader.expect('header'), { resumed: true, snapshotRevision: '1' });
  t.deepEqual(await reader.expect('heartbeat'), { revision: '1' });
});

for (const [label, resume] of [
  ['a foreign instance id', (_: string) => ({ resumeInstanceId: 'another-process', resumeRevision: '4' })],
  [
    'a revision older than the ring holds',
    (instanceId: string) => ({ resumeInstanceId: instanceId, resumeRevision: '1' }),
  ],
  [
    'a revision from the future',
    (instanceId: string) => ({ resumeInstanceId: instanceId, resumeRevision: '99' }),
  ],
  [
    'a revision beyond 2^53',
    (instanceId: string) => ({ resumeInstanceId: instanceId, resumeRevision: '18446744073709551615' }),
  ],
] as const) {
  test(`when a watcher resumes with ${label}, then it gets a full snapshot`, async (t) => {
    const { client, app } = await startServer(t, { changeRingSize: 2 });
    for (const eventId of ['a', 'b', 'c', 'd']) await app.store.create(buildCreate({ eventId }));

    const reader = new StreamReader(watch(client, resume(app.instanceId)));
    const snapshot = await reader.readSnapshot();

    t.like(snapshot.header, {
      instanceId: app.instanceId,
      resumed: false,
      snapshotRevision: '4',
      eventCount: '4',
    });
    t.is(snapshot.events.length, 4);
  });
}

test('when the client cancels, then the server unregisters the watcher', async (t) => {
  const { client, app } = await startServer(t);
  const reader = new StreamReader(watch(client));
  await reader.readSnapshot();
  t.is(app.store.subscriberCount, 1);

  const closed = nextClose(app);
  reader.stream.cancel();

  t.deepEqual(await closed, { reason: 'cancelled' });
  t.is(app.store.subscriberCount, 0);
  t.is(app.watchers.metrics.active, 0);
  t.is((await reader.status).code, Status.CANCELLED);
});
