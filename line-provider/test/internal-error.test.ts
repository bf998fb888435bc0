import { Writable } from 'node:stream';

import test from 'ava';
import { status as Status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';

import type { EventRecord } from '../src/domain/event.js';
import { EventStore } from '../src/store/event-store.js';
import { rpc, startServer } from './helpers.js';

/** A store with a bug: reading an event throws something that is not a domain error. */
class BrokenStore extends EventStore {
  override get(_eventId: string): EventRecord {
    throw new TypeError('cannot read properties of undefined (at /srv/secret/path.ts:42)');
  }
}

test('when a handler fails unexpectedly, then the client gets INTERNAL with a generic message and the error is logged', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const { client } = await startServer(
    t,
    {},
    { store: new BrokenStore(), logger: pino({ level: 'error' }, sink) },
  );

  const error = await t.throwsAsync<ServiceError>(rpc.get(client, 'any'), { code: Status.INTERNAL });

  t.is(error?.details, 'internal error');
  t.false(error?.message.includes('secret') ?? true);
  t.is(lines.length, 1);
  t.regex(lines[0] ?? '', /secret\/path/);
});
