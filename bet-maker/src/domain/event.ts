import type { EventStatus } from './bet.js';

/** An event as mirrored from line-provider. */
export interface EventRecord {
  id: string;
  /** Two-place decimal string. */
  coefficient: string;
  deadline: Date;
  status: EventStatus;
  /** The provider's revision (uint64 as a decimal string). */
  revision: string;
}

/** An event as `GET /events` shows it. */
export interface EventView {
  event_id: string;
  coefficient: string;
  deadline: string;
  status: EventStatus;
}

export const toEventView = (e: EventRecord): EventView => ({
  event_id: e.id,
  coefficient: e.coefficient,
  deadline: e.deadline.toISOString(),
  status: e.status,
});

/** Bets are accepted strictly before the deadline. */
export const acceptsBets = (e: EventRecord, now: number): boolean =>
  e.status === 'NEW' && e.deadline.getTime() > now;
