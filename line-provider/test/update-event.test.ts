import test from 'ava';
import { status as Status } from '@grpc/grpc-js';

import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { buildCreate, rpc, startServer } from './helpers.js';

test('when the coefficient is updated, then the event has it at a new revision', async (t) => {
  const { client } = await startServer(t);
  const created = await rpc.create(client, buildCreate({ coefficient: '1.50' }));

  const updated = await rpc.update(client, { eventId: created.eventId, coefficient: '2.1' });

  t.deepEqual(updated, { ...created, coefficient: '2.10', revision: '2' });
  t.deepEqual(await rpc.get(client, created.eventId), updated);
});

test('when only the deadline is updated, then the coefficient is kept', async (t) => {
  const { client } = await startServer(t);
  const created = await rpc.create(client, buildCreate({ coefficient: '3.00' }));
  const deadline = new Date('2031-05-06T07:08:09.000Z');

  const updated = await rpc.update(client, { eventId: created.eventId, deadline });

  t.deepEqual(updated, { ...created, deadline, revision: '2' });
});

test('when an update changes nothing, then the event comes back with its revision unchanged', async (t) => {
  const { client, app } = await startServer(t);
  const created = await rpc.create(client, buildCreate({ coefficient: '1.50' }));

  const same = await rpc.update(client, {
    eventId: created.eventId,
    coefficient: '1.5',
    deadline: created.deadline,
  });

  t.deepEqual(same, created);
  t.is(app.store.revision, 1);
});

test('when neither coefficient nor deadline is set, then INVALID_ARGUMENT', async (t) => {
  const { client } = await startServer(t);
  const created = await rpc.create(client, buildCreate());

  await t.throwsAsync(rpc.update(client, { eventId: created.eventId }), {
    code: Status.INVALID_ARGUMENT,
    message: /coefficient, deadline: at least one must be set/,
  });
});

test('when the new coefficient is invalid, then INVALID_ARGUMENT names it and nothing changes', async (t) => {
  const { client, app } = await startServer(t);
  const created = await rpc.create(client, buildCreate());

  await t.throwsAsync(rpc.update(client, { eventId: created.eventId, coefficient: '0' }), {
    code: Status.INVALID_ARGUMENT,
    message: /coefficient: must be greater than 0/,
  });
  t.deepEqual(await rpc.get(client, created.eventId), created);
  t.is(app.store.revision, 1);
});

test('when the event does not exist, then NOT_FOUND', async (t) => {
  const { client } = await startServer(t);

  await t.throwsAsync(rpc.update(client, { eventId: 'missing', coefficient: '2.00' }), {
    code: Status.NOT_FOUND,
  });
});

test('when the event is finished, then UpdateEvent is FAILED_PRECONDITION', async (t) => {
  const { client } = await startServer(t);
  const created = await rpc.create(client, buildCreate());
  await rpc.finish(client, { eventId: created.eventId, status: EventStatus.EVENT_STATUS_FINISHED_WIN });

  await t.throwsAsync(rpc.update(client, { eventId: created.eventId, coefficient: '2.00' }), {
    code: Status.FAILED_PRECONDITION,
    message: /finished/,
  });
});
