import test from 'ava';

import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError } from '../src/domain/errors.js';
import type { EventRecord } from '../src/domain/event.js';
import { planCreate, planFinish, planUpdate } from '../src/domain/transitions.js';
import { parseCoefficient, parseDeadline, parseEventId, parseFinalStatus } from '../src/domain/validation.js';

const open: EventRecord = { eventId: 'e', coefficient: '1.50', deadlineMs: 1000, status: 'NEW', revision: 3 };
const won: EventRecord = { ...open, status: 'FINISHED_WIN' };

for (const [raw, canonical] of [
  ['1', '1.00'],
  ['1.5', '1.50'],
  ['1.75', '1.75'],
  ['0.01', '0.01'],
  ['007.1', '7.10'],
  ['999999999.99', '999999999.99'],
]) {
  test(`when the coefficient is ${raw}, then it is stored as ${canonical}`, (t) => {
    t.is(parseCoefficient(raw), canonical);
  });
}

for (const raw of [
  '0',
  '00.00',
  '-1',
  '+1',
  '1.234',
  '1e5',
  'abc',
  '',
  '1,5',
  '1.5 ',
  '1000000000',
  'Infinity',
]) {
  test(`when the coefficient is ${JSON.stringify(raw)}, then it is refused naming the field`, (t) => {
    const error = t.throws(() => parseCoefficient(raw), { instanceOf: InvalidArgumentError });
    t.is(error?.field, 'coefficient');
    t.is(error?.code, 'INVALID_ARGUMENT');
  });
}

test('when the deadline is missing or not a valid timestamp, then it is refused', (t) => {
  t.throws(() => parseDeadline(undefined), { message: 'deadline: is required' });
  t.throws(() => parseDeadline(new Date(Number.NaN)), { message: /deadline: is not a valid timestamp/ });
  t.throws(() => parseDeadline(new Date('+010000-01-01T00:00:00Z')), { message: /deadline: / });
  t.is(parseDeadline(new Date('2001-02-03T04:05:06.007Z')), Date.UTC(2001, 1, 3, 4, 5, 6, 7));
});

test('when the id is empty, too long or not printable ASCII, then it is refused; 64 printable characters pass', (t) => {
  for (const raw of ['', 'x'.repeat(65), 'tab\there', 'é', '\u007f']) {
    t.throws(() => parseEventId(raw), { instanceOf: InvalidArgumentError });
  }
  t.is(parseEventId(' ~'.repeat(32)), ' ~'.repeat(32));
});

test('when a status other than a final one is requested, then it is refused', (t) => {
  t.is(parseFinalStatus('FINISHED_LOSE'), 'FINISHED_LOSE');
  for (const raw of ['NEW', 'UNSPECIFIED', 'finished_win']) {
    t.throws(() => parseFinalStatus(raw), { message: /^status: / });
  }
});

test('when creating, then a new id is written, the same content is a no-op and other content ALREADY_EXISTS', (t) => {
  const content = { eventId: 'e', coefficient: '1.50', deadlineMs: 1000, status: 'NEW' as const };
  t.deepEqual(planCreate(undefined, content), { changed: true, next: content });
  t.deepEqual(planCreate(open, content), { changed: false, event: open });
  t.throws(() => planCreate(open, { ...content, coefficient: '2.00' }), { instanceOf: AlreadyExistsError });
  t.throws(() => planCreate(open, { ...content, deadlineMs: 2000 }), { instanceOf: AlreadyExistsError });
});

test('when updating, then only a NEW event changes, and an update to the same values is a no-op', (t) => {
  t.deepEqual(planUpdate(open, { coefficient: '2.00' }), {
    changed: true,
    next: { eventId: 'e', coefficient: '2.00', deadlineMs: 1000, status: 'NEW' },
  });
  t.deepEqual(planUpdate(open, { coefficient: '1.50', deadlineMs: 1000 }), { changed: false, event: open });
  t.throws(() => planUpdate(open, {}), { instanceOf: InvalidArgumentError });
  t.throws(() => planUpdate(won, { coefficient: '2.00' }), { instanceOf: FailedPreconditionError });
});

test('when finishing, then NEW moves to a final status once, the same again is a no-op, another is refused', (t) => {
  t.deepEqual(planFinish(open, 'FINISHED_WIN'), {
    changed: true,
    next: { eventId: 'e', coefficient: '1.50', deadlineMs: 1000, status: 'FINISHED_WIN' },
  });
  t.deepEqual(planFinish(won, 'FINISHED_WIN'), { changed: false, event: won });
  t.throws(() => planFinish(won, 'FINISHED_LOSE'), { instanceOf: FailedPreconditionError });
});
