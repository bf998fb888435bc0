import test from 'ava';
import { status as Status } from '@grpc/grpc-js';

import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { buildCreate, rpc, startServer } from './helpers.js';

const { EVENT_STATUS_FINISHED_WIN: WIN, EVENT_STATUS_FINISHED_LOSE: LOSE } = EventStatus;

for (const status of [WIN, LOSE]) {
  test(`when a NEW event is finished as ${EventStatus[status]}, then it has that status at a new revision`, async (t) => {
    const { client } = await startServer(t);
    const created = await rpc.create(client, buildCreate());

    const finished = await rpc.finish(client, { eventId: created.eventId, status });

    t.deepEqual(finished, { ...created, status, revision: '2' });
  });
}

test('when the same final status is set again, then it is a no-op returning the event with its revision', async (t) => {
  const { client, app } = await startServer(t);
  const created = await rpc.create(client, buildCreate());
  const finished = await rpc.finish(client, { eventId: created.eventId, status: LOSE });

  const again = await rpc.finish(client, { eventId: created.eventId, status: LOSE });

  t.deepEqual(again, finished);
  t.is(app.store.revision, 2);
});

test('when a finished event is given the other final status, then FAILED_PRECONDITION and it keeps its result', async (t) => {
  const { client } = await startServer(t);
  const created = await rpc.create(client, buildCreate());
  const finished = await rpc.finish(client, { eventId: created.eventId, status: WIN });

  await t.throwsAsync(rpc.finish(client, { eventId: created.eventId, status: LOSE }), {
    code: Status.FAILED_PRECONDITION,
    message: /already finished as FINISHED_WIN/,
  });
  t.deepEqual(await rpc.get(client, created.eventId), finished);
});

for (const status of [
  EventStatus.EVENT_STATUS_UNSPECIFIED,
  EventStatus.EVENT_STATUS_NEW,
  42 as EventStatus,
]) {
  test(`when the requested status is ${EventStatus[status] ?? String(status)}, then INVALID_ARGUMENT names status`, async (t) => {
    const { client } = await startServer(t);
    const created = await rpc.create(client, buildCreate());

    await t.throwsAsync(rpc.finish(client, { eventId: created.eventId, status }), {
      code: Status.INVALID_ARGUMENT,
      message: /status: must be EVENT_STATUS_FINISHED_WIN or EVENT_STATUS_FINISHED_LOSE/,
    });
    t.deepEqual(await rpc.get(client, created.eventId), created);
  });
}

test('when the event does not exist, then NOT_FOUND', async (t) => {
  const { client } = await startServer(t);

  await t.throwsAsync(rpc.finish(client, { eventId: 'missing', status: WIN }), { code: Status.NOT_FOUND });
});
