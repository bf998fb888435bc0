import type { EventRecord } from '../domain/event.js';

/** Raw input of a create, validated by the store (the store is the one place that guards its invariants). */
export interface CreateEventInput {
  /** Empty or absent: generated. */
  readonly eventId?: string;
  readonly coefficient: string;
  /** Required; optional in the type only because the wire message may omit it (INVALID_ARGUMENT then). */
  readonly deadline?: Date | undefined;
}

/** Raw input of an update; at least one field must be set. */
export interface UpdateEventInput {
  readonly coefficient?: string | undefined;
  readonly deadline?: Date | undefined;
}

/** The event after a mutation, and whether the mutation wrote a new revision (false: an idempotent repeat). */
export interface MutationResult {
  readonly event: EventRecord;
  readonly changed: boolean;
}

/** What a journal replay hands to `EventStore.restore`. */
export interface RestoredState {
  /** Every event, each with the revision it was last written at. */
  readonly records: Iterable<EventRecord>;
  /** The global revision: the newest change, which may be newer than every record's (none is ever lost). */
  readonly revision: number;
}
