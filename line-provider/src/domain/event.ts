/** Life cycle of an event: NEW accepts bets until the deadline; the two finished statuses are final. */
export type EventStatus = 'NEW' | FinalStatus;
export type FinalStatus = 'FINISHED_WIN' | 'FINISHED_LOSE';

/**
 * One event as stored. Records are immutable: a change makes a new record, so a snapshot is a copy of references.
 * Plain data (no Date, no bigint) so that a journal can write it as one JSON line.
 */
export interface EventRecord {
  readonly eventId: string;
  /** Canonical decimal with exactly two places, e.g. "1.50". */
  readonly coefficient: string;
  /** Milliseconds since the epoch; bets are accepted strictly before it. */
  readonly deadlineMs: number;
  readonly status: EventStatus;
  /**
   * The global revision at which this record was written. A number: 2^53 mutations are out of reach, and it keeps
   * comparisons and the change ring simple; the gRPC edge writes it as a uint64 string.
   */
  readonly revision: number;
}

/** An event's content without its revision: what a mutation decides before the store stamps it. */
export type EventContent = Omit<EventRecord, 'revision'>;

export function isFinal(status: EventStatus): status is FinalStatus {
  return status !== 'NEW';
}
