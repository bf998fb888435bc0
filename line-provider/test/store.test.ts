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

/** A journal whose appends the test settles by hand. */
class ManualJournal implements Journal {
  readonly appended: { record: EventRecord; resolve: () => void; reject: (error: Error) => void }[] = [];

  append(change: EventRecord): Promise<void> {
    return new Promise((resolve, reject) => this.appended.push({ record: change, resolve, reject }));
  }

  at(revision: number): { resolve: () => void; reject: (error: Error) => void } {
    const entry = this.appended.findLast((appended) => appended.record.revision === revision);
    if (entry === undefined) throw new Error(`revision ${revision} was not appended`);
    return entry;
  }
}

const outcome = (promise: Promise<{ event: EventRecord }>): Promise<number | string> =>
  promise.then(
    (result) => result.event.revision,
    (error: Error) => `${error.name}: ${error.message}`,
  );

test('when changes are in flight, then the next ones are decided on top of them without waiting for their fsync', (t) => {
  const journal = new ManualJournal();
  const store = new EventStore({ journal });

  void outcome(store.create(input('a')));
  void outcome(store.update('a', { coefficient: '2.00' }));
  void outcome(store.finish('a', 'FINISHED_LOSE'));

  t.deepEqual(
    journal.appended.map(({ record: r }) => [r.revision, r.coefficient, r.status]),
    [
      [1, '1.00', 'NEW'],
      [2, '2.00', 'NEW'],
      [3, '2.00', 'FINISHED_LOSE'],
    ],
  );
  t.is(store.revision, 0, 'nothing is applied before it is durable');
});

test('when a change in flight fails, then those decided on top of it fail too, earlier ones apply, and the store goes on', async (t) => {
  const journal = new ManualJournal();
  const store = new EventStore({ journal });
  const seen: number[] = [];
  store.watch((change) => seen.push(change.revision));

  const results = [
    outcome(store.create(input('a'))),
    outcome(store.create(input('b'))),
    outcome(store.update('a', { coefficient: '3.00' })),
  ];
  journal.at(1).resolve();
  journal.at(2).reject(new Error('disk full'));
  // The journal would never do this (see Journal), but the store must not apply a change built on a failed one.
  journal.at(3).resolve();

  t.deepEqual(await Promise.all(results), [
    1,
    'Error: disk full',
    'StorageUnavailableError: decided on top of a change that could not be stored',
  ]);
  t.deepEqual(seen, [1]);
  t.is(store.revision, 1);
  t.is(store.get('a').coefficient, '1.00');
  const next = store.create(input('c'));
  journal.at(2).resolve();
  t.is((await next).event.revision, 2);
});

test('when a repeat is decided against a change in flight, then it answers only once that change is durable', async (t) => {
  const journal = new ManualJournal();
  const store = new EventStore({ journal });
  const created = store.create(input('a'));
  let answered = false;

  const repeat = store.create(input('a')).then((result) => {
    answered = true;
    return result;
  });
  await yieldToIo();
  t.false(answered);
  journal.at(1).resolve();

  t.like(await repeat, { changed: false, event: { revision: 1 } });
  t.true((await created).changed);
});

test('when a change in flight fails, then a repeat or an error decided against it fails with it', async (t) => {
  const journal = new ManualJournal();
  const store = new EventStore({ journal });
  const created = outcome(store.create(input('a')));
  const repeat = outcome(store.create(input('a')));
  const conflict = outcome(store.create(input('a', '9.00')));

  journal.at(1).reject(new Error('EIO'));

  t.deepEqual(await Promise.all([created, repeat, conflict]), [
    'Error: EIO',
    'StorageUnavailableError: an earlier change this answer depends on could not be stored',
    'StorageUnavailableError: an earlier change this answer depends on could not be stored',
  ]);
  t.is(store.size, 0);
});

test('when restoring a replayed state, then nothing is published and the next change follows its revision', async (t) => {
  const store = new EventStore();
  const restored = [record(2), { ...record(5), eventId: 'e1', status: 'FINISHED_WIN' as const }];

  store.restore({ records: restored, revision: 5 }, { append: () => Promise.resolve() });
  const { event } = await store.create(input('new'));

  t.is(event.revision, 6);
  t.deepEqual(store.countByStatus(), { NEW: 2, FINISHED_WIN: 1, FINISHED_LOSE: 0 });
  t.throws(() => store.restore({ records: [], revision: 0 }, { append: () => Promise.resolve() }), {
    message: /empty store/,
  });
});
