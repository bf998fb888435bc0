import test from 'ava';
import { status as Status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { buildCreate, rpc, startServer } from './helpers.js';

test('when an event is created, then it is NEW, with the canonical coefficient and the next revision', async (t) => {
  const { client, app } = await startServer(t);
  const request = buildCreate({ coefficient: '1.5', deadline: new Date('2030-01-02T03:04:05.678Z') });

  const event = await rpc.create(client, request);

  t.deepEqual(event, {
    eventId: request.eventId,
    coefficient: '1.50',
    deadline: new Date('2030-01-02T03:04:05.678Z'),
    status: EventStatus.EVENT_STATUS_NEW,
    revision: '1',
  });
  t.is(app.store.revision, 1);
  t.deepEqual(await rpc.get(client, request.eventId), event);
});

test('when the event id is empty, then one is generated', async (t) => {
  const { client } = await startServer(t);

  const first = await rpc.create(client, buildCreate({ eventId: '' }));
  const second = await rpc.create(client, buildCreate({ eventId: '' }));

  t.regex(first.eventId, /^[0-9a-f-]{36}$/);
  t.not(first.eventId, second.eventId);
});

test('when the same create is sent again, then the stored event comes back and the revision does not move', async (t) => {
  const { client, app } = await startServer(t);
  const request = buildCreate({ coefficient: '2.5' });
  const created = await rpc.create(client, request);

  const again = await rpc.create(client, { ...request, coefficient: '2.50' });

  t.deepEqual(again, created);
  t.is(app.store.revision, 1);
});

test('when the id exists with other content, then ALREADY_EXISTS', async (t) => {
  const { client, app } = await startServer(t);
  const request = buildCreate();
  await rpc.create(client, request);

  await t.throwsAsync(rpc.create(client, { ...request, coefficient: '9.99' }), {
    code: Status.ALREADY_EXISTS,
    message: /already exists/,
  });
  await t.throwsAsync(rpc.create(client, { ...request, deadline: new Date(Date.now() + 7_200_000) }), {
    code: Status.ALREADY_EXISTS,
  });
  t.is(app.store.revision, 1);
});

for (const coefficient of [
  '0',
  '0.00',
  '-1',
  '1.234',
  'abc',
  '1e5',
  '',
  ' 1.5',
  '1.',
  '.5',
  '1234567890',
  'NaN',
]) {
  test(`when the coefficient is ${JSON.stringify(coefficient)}, then INVALID_ARGUMENT names the coefficient`, async (t) => {
    const { client, app } = await startServer(t);

    const error = await t.throwsAsync<ServiceError>(rpc.create(client, buildCreate({ coefficient })), {
      code: Status.INVALID_ARGUMENT,
      message: /coefficient: /,
    });

    t.deepEqual(error?.metadata.get('invalid-field'), ['coefficient']);
    t.is(app.store.size, 0);
  });
}

test('when the deadline is missing, then INVALID_ARGUMENT names the deadline', async (t) => {
  const { client, app } = await startServer(t);

  const error = await t.throwsAsync<ServiceError>(rpc.create(client, buildCreate({ deadline: undefined })), {
    code: Status.INVALID_ARGUMENT,
    message: /deadline: is required/,
  });

  t.deepEqual(error?.metadata.get('invalid-field'), ['deadline']);
  t.is(app.store.size, 0);
});

for (const [label, eventId] of [
  ['65 characters long', 'x'.repeat(65)],
  ['a control character', 'bad\u0001id'],
  ['not ASCII', 'матч-1'],
  ['a newline', 'a\nb'],
]) {
  test(`when the event id is ${label}, then INVALID_ARGUMENT names event_id`, async (t) => {
    const { client } = await startServer(t);

    await t.throwsAsync(rpc.create(client, buildCreate({ eventId })), {
      code: Status.INVALID_ARGUMENT,
      message: /event_id: must be 1 to 64 printable ASCII characters/,
    });
  });
}

test('when the event id is 64 printable characters, then it is accepted', async (t) => {
  const { client } = await startServer(t);
  const eventId = `a b~${'z'.repeat(60)}`;

  const event = await rpc.create(client, buildCreate({ eventId }));

  t.is(event.eventId, eventId);
});
