import test from 'ava';

import type { EventRecord } from '../src/domain/event.js';
import type { Event } from '../src/gen/lineprovider/v1/line_provider.js';
import { LineProviderServiceService, WatchEventsResponse } from '../src/gen/lineprovider/v1/line_provider.js';
import { ChangeEncoder, withPrebuiltWatchEncoding } from '../src/grpc/change-encoding.js';
import { MIN_FLUSH_INTERVAL_MS } from '../src/grpc/flush-pacer.js';
import { toProtoEvent } from '../src/grpc/mappers.js';
import type { EventStore } from '../src/store/event-store.js';
import { buildCreate, startServer, StreamReader, watch } from './helpers.js';

/** Reads live messages until `count` changes arrived: the events in order and how many each message carried. */
async function readChanges(
  reader: StreamReader,
  count: number,
): Promise<{ events: Event[]; sizes: number[] }> {
  const events: Event[] = [];
  const sizes: number[] = [];
  while (events.length < count) {
    const { kind } = await reader.next();
    if (kind?.$case === 'change' && kind.value.event !== undefined) {
      events.push(kind.value.event);
      sizes.push(1);
    } else if (kind?.$case === 'changes') {
      events.push(...kind.value.events);
      sizes.push(kind.value.events.length);
    } else if (kind?.$case !== 'heartbeat') {
      throw new Error(`unexpected ${kind?.$case ?? 'nothing'} among changes`);
    }
  }
  return { events, sizes };
}

/** `count` events created at once (one burst of changes), as the store returns them. */
async function burst(store: EventStore, count: number): Promise<Event[]> {
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) => store.create(buildCreate({ eventId: `burst-${i}` }))),
  );
  return results.map((r) => toProtoEvent(r.event));
}

test('when a watcher takes batches and changes come in a burst, then they come in fewer messages, in revision order', async (t) => {
  const { client, app } = await startServer(t);
  const reader = new StreamReader(watch(client, { maxChangesPerMessage: 256 }));
  await reader.readSnapshot();

  const created = await burst(app.store, 50);
  const { events, sizes } = await readChanges(reader, 50);

  t.deepEqual(events, created);
  t.deepEqual(
    events.map((e) => Number(e.revision)),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  t.true(sizes.length < 50, `messages: ${sizes.join(',')}`);
});

/** Keeps the event loop busy for `ms`, as a process short of CPU finds it. */
function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

test('when the event loop runs late, then live changes wait longer between writes', async (t) => {
  const { client, app } = await startServer(t);
  const reader = new StreamReader(watch(client, { maxChangesPerMessage: 256 }));
  await reader.readSnapshot();
  t.is(app.watchers.flushIntervalMs, MIN_FLUSH_INTERVAL_MS);

  // A change right after a write waits for the stream's flush timer, which the blocked loop makes fire late.
  // A round in which the second change comes after the interval (a busy machine: other test files run beside
  // this one) goes out at once and measures nothing, so rounds go on until one was measured, 50 at most.
  for (let round = 0; round < 50 && app.watchers.flushIntervalMs === MIN_FLUSH_INTERVAL_MS; round += 1) {
    await app.store.create(buildCreate({ eventId: `first-${round}` }));
    await new Promise((resolve) => setImmediate(resolve));
    await app.store.create(buildCreate({ eventId: `second-${round}` }));
    blockLoop(30);
    await readChanges(reader, 2);
  }

  t.true(app.watchers.flushIntervalMs > MIN_FLUSH_INTERVAL_MS, `interval ${app.watchers.flushIntervalMs}`);
});

test('when a watcher asks for at most 3 changes per message, then no message carries more', async (t) => {
  const { client, app } = await startServer(t);
  const reader = new StreamReader(watch(client, { maxChangesPerMessage: 3 }));
  await reader.readSnapshot();

  const created = await burst(app.store, 20);
  const { events, sizes } = await readChanges(reader, 20);

  t.deepEqual(events, created);
  t.true(Math.max(...sizes) <= 3, `messages: ${sizes.join(',')}`);
});

test('when a watcher does not ask for batches, then a burst comes one change per message', async (t) => {
  const { client, app } = await startServer(t);
  const reader = new StreamReader(watch(client));
  await reader.readSnapshot();

  const created = await burst(app.store, 20);
  const { events, sizes } = await readChanges(reader, 20);

  t.deepEqual(events, created);
  t.deepEqual(
    sizes,
    Array.from({ length: 20 }, () => 1),
  );
});

test('when a batching watcher resumes, then the changes it missed come in batches of its size', async (t) => {
  const { client, app } = await startServer(t);
  const first = new StreamReader(watch(client));
  const { header } = await first.readSnapshot();
  first.stream.cancel();
  const missed = await burst(app.store, 10);

  const reader = new StreamReader(
    watch(client, {
      resumeInstanceId: header.instanceId,
      resumeRevision: header.snapshotRevision,
      maxChangesPerMessage: 4,
    }),
  );
  t.like(await reader.expect('header'), { resumed: true });
  const { events, sizes } = await readChanges(reader, 10);

  t.deepEqual(events, missed);
  t.deepEqual(sizes, [4, 4, 2]);
});

const record = (eventId: string, revision: number): EventRecord => ({
  eventId,
  coefficient: '12.35',
  deadlineMs: Date.UTC(2030, 0, 2, 3, 4, 5, 678),
  status: revision % 2 === 0 ? 'NEW' : 'FINISHED_LOSE',
  revision,
});

test('when changes are encoded once for every watcher, then the bytes are what the generated encoder writes', (t) => {
  const serialize = withPrebuiltWatchEncoding(LineProviderServiceService).watchEvents.responseSerialize;
  const encoder = new ChangeEncoder();
  // Ids long enough that lengths take two varint bytes, and revisions beyond what 32 bits hold.
  const small = record('a', 1);
  const long = record('x'.repeat(200), 2 ** 40);
  const records = [small, long, ...Array.from({ length: 30 }, (_, i) => record(`e${i}`, 2 ** 40 + 1 + i))];

  for (const message of [encoder.single(small), encoder.single(long), encoder.batch(records)]) {
    const expected = Buffer.from(WatchEventsResponse.encode(message).finish());
    t.deepEqual(serialize(message), expected);
    t.deepEqual(WatchEventsResponse.decode(serialize(message)), message);
  }
  t.is(encoder.single(small), encoder.single(small), 'one message object for every watcher');
  t.is(encoder.batch([long]), encoder.single(long), 'a batch of one is the plain change');
});
