import { setImmediate as yieldToIo } from 'node:timers/promises';

import test from 'ava';

import type { Event } from '../src/gen/lineprovider/v1/line_provider.js';
import { toProtoEvent } from '../src/grpc/mappers.js';
import type { EventStore } from '../src/store/event-store.js';
import { startServer, StreamReader, watch } from './helpers.js';

const SEEDED = 5000;
const deadline = (): Date => new Date(Date.now() + 3_600_000);
const id = (i: number): string => `ev-${String(i).padStart(5, '0')}`;

/** One mutation of three kinds, each on its own event: a create, an update or a finish. */
function mutate(store: EventStore, i: number): Promise<unknown> {
  switch (i % 3) {
    case 0:
      return store.create({ eventId: `new-${i}`, coefficient: '3.30', deadline: deadline() });
    case 1:
      return store.update(id(i), { coefficient: `${i}.01` });
    default:
      return store.finish(id(i), i % 2 === 0 ? 'FINISHED_WIN' : 'FINISHED_LOSE');
  }
}

async function mutateRange(store: EventStore, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 1) {
    await mutate(store, i);
    if (i % 10 === 0) await yieldToIo();
  }
}

test('when mutations race the snapshot, then changes follow snapshot_end contiguously and the mirror equals the store', async (t) => {
  // Small chunks: the 5,000-event snapshot takes 100 messages, far more than grpc-js buffers without waiting.
  const { client, app } = await startServer(t, { snapshotChunkSize: 50, heartbeatMs: 60_000 });
  const { store } = app;
  for (let i = 0; i < SEEDED; i += 1)
    await store.create({ eventId: id(i), coefficient: '1.10', deadline: deadline() });

  const reader = new StreamReader(watch(client));
  // These race the opening of the watch: each lands in the snapshot or in the changes, never both, never neither.
  const racingOpen = mutateRange(store, 0, 300);
  const header = await reader.expect('header');
  // The header is written after the snapshot was taken, so these all happen while the snapshot is being sent;
  // pausing the client guarantees the server is still in the middle of it.
  reader.stream.pause();
  await mutateRange(store, 300, 1200);
  reader.stream.resume();
  await racingOpen;
  const finalRevision = store.revision;

  const mirror = new Map<string, Event>();
  for (;;) {
    const message = await reader.next();
    if (message.kind?.$case === 'snapshotChunk') {
      for (const event of message.kind.value.events) mirror.set(event.eventId, event);
    } else {
      t.is(message.kind?.$case, 'snapshotEnd', 'nothing but chunks inside the snapshot');
      break;
    }
  }
  t.is(mirror.size, Number(header.eventCount));
  const revisions: number[] = [];
  let revision = Number(header.snapshotRevision);
  while (revision < finalRevision) {
    const change = await reader.nextChange();
    revision = Number(change.revision);
    revisions.push(revision);
    mirror.set(change.eventId, change);
  }

  const start = Number(header.snapshotRevision);
  t.true(
    revisions.length >= 900,
    `at least the mutations made during the snapshot arrive live (${revisions.length})`,
  );
  t.deepEqual(
    revisions,
    Array.from({ length: finalRevision - start }, (_, i) => start + 1 + i),
  );
  t.deepEqual(
    [...mirror.values()].sort((a, b) => (a.eventId < b.eventId ? -1 : 1)),
    store.all().map(toProtoEvent),
  );
});
