import { setImmediate as yieldToIo } from 'node:timers/promises';

import test from 'ava';

import type { EventRecord } from '../src/domain/event.js';
import { ChangeRing } from '../src/store/change-ring.js';
import { EventStore } from '../src/store/event-store.js';
import type { Journal } from '../src/store/journal.js';

const deadline = new Date('2030-01-01T00:00:00Z');
const input = (eventId: string, coefficient = '1.00') => ({ eventId, coefficient, deadline });
const record = (revision: number): EventRecord => ({
  eventId: `e${revision}`,
  coefficient: '1.00',
  deadlineMs: 0,
  status: 'NEW',
  revision,
});

test('when the ring is full, then it keeps the newest changes and refuses revisions it no longer holds', (t) => {
  const ring = new ChangeRing(3);
  for (let revision = 1; revision <= 5; revision += 1) ring.push(record(revision));

  t.deepEqual(
    ring.since(2, 5)?.map((change) => change.revision),
    [3, 4, 5],
  );
  t.deepEqual(ring.since(5, 5), []);
  t.is(ring.since(1, 5), undefined);
  t.is(ring.since(6, 5), undefined);
});

test('when mutations are issued at once with a slow journal, then they are journaled and applied in call order', async (t) => {
  const journaled: number[] = [];
  const slowJournal: Journal = {
    append: async (change) => {
      await yieldToIo();
      journaled.push(change.revision);
    },
  };
  const store = new EventStore({ journal: slowJournal });
  const seen: number[] = [];
  store.watch((change) => seen.push(change.revision));

  const results = await Promise.all(
    [
      store.create(input('a')),
      store.create(input('b')),
      store.update('a', { coefficient: '2.00' }),
      store.create(input('a')), // content differs now: ALREADY_EXISTS, decided after the update
      store.finish('b', 'FINISHED_WIN'),
    ].map((promise) =>
      promise.then(
        (result) => result.event.revision,
        (error: Error) => error.name,
      ),
    ),
  );

  t.deepEqual(results, [1, 2, 3, 'AlreadyExistsError', 4]);
  t.deepEqual(journaled, [1, 2, 3, 4]);
  t.deepEqual(seen, [1, 2, 3, 4]);
});

test('when the same create is issued twice at once, then one change is written', async (t) => {
  const store = new EventStore();

  const [first, second] = await Promise.all([store.create(input('a')), store.create(input('a'))]);

  t.true(first.changed);
  t.false(second.changed);
  t.is(store.revision, 1);
});

test('when the journal fails, then the mutation fails, memory and watchers are untouched, and the next one works', async (t) => {
  let fail = true;
  const journal: Journal = {
    append: () => (fail ? Promise.reject(new Error('disk full')) : Promise.resolve()),
  };
  const store = new EventStore({ journal });
  const seen: EventRecord[] = [];
  store.watch((change) => seen.push(change));

  await t.throwsAsync(store.create(input('a')), { message: 'disk full' });
  t.is(store.revision, 0);
  t.is(store.size, 0);
  t.deepEqual(seen, []);

  fail = false;
  const { event } = await store.create(input('a'));
  t.is(event.revision, 1);
  t.deepEqual(seen, [event]);
});

test('when watching, then the snapshot holds everything up to its revision and the listener everything after', async (t) => {
  const store = new EventStore();
  await store.create(input('a'));
  const seen: number[] = [];

  const start = store.watch((change) => seen.push(change.revision));
  await store.create(input('b'));
  start.unsubscribe();
  await store.create(input('c'));

  t.like(start, { kind: 'snapshot', revision: 1 });
  t.deepEqual(start.kind === 'snapshot' ? start.events.map((event) => event.eventId) : [], ['a']);
  t.deepEqual(seen, [2]);
  t.is(store.subscriberCount, 0);
});

test('when a record is stored, then it cannot be modified in place', async (t) => {
  const store = new EventStore();
  const { event } = await store.create(input('a'));

  t.true(Object.isFrozen(event));
});
