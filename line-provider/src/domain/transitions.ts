import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError } from './errors.js';
import type { EventContent, EventRecord, FinalStatus } from './event.js';
import { isFinal } from './event.js';

/**
 * What a mutation decided: either nothing changes (and the stored record is the answer, with its revision
 * untouched), or the store must write `next` at a new revision.
 */
export type Plan =
  | { readonly changed: false; readonly event: EventRecord }
  | { readonly changed: true; readonly next: EventContent };

/** A validated update: at least one field set. */
export interface EventPatch {
  readonly coefficient?: string;
  readonly deadlineMs?: number;
}

/** Creating an id that exists is idempotent when the content is the same, else ALREADY_EXISTS. */
export function planCreate(existing: EventRecord | undefined, wanted: EventContent): Plan {
  if (existing === undefined) {
    return { changed: true, next: wanted };
  }
  if (existing.coefficient === wanted.coefficient && existing.deadlineMs === wanted.deadlineMs) {
    return { changed: false, event: existing };
  }
  throw new AlreadyExistsError(existing.eventId);
}

/** Only a NEW event can be updated; an update that changes nothing is a no-op (no new revision). */
export function planUpdate(existing: EventRecord, patch: EventPatch): Plan {
  if (patch.coefficient === undefined && patch.deadlineMs === undefined) {
    throw new InvalidArgumentError('coefficient, deadline', 'at least one must be set');
  }
  if (isFinal(existing.status)) {
    throw new FailedPreconditionError(
      `event ${JSON.stringify(existing.eventId)} is finished (${existing.status}) and can no longer be updated`,
    );
  }
  const next: EventContent = {
    eventId: existing.eventId,
    coefficient: patch.coefficient ?? existing.coefficient,
    deadlineMs: patch.deadlineMs ?? existing.deadlineMs,
    status: existing.status,
  };
  const same = next.coefficient === existing.coefficient && next.deadlineMs === existing.deadlineMs;
  return same ? { changed: false, event: existing } : { changed: true, next };
}

/** NEW -> FINISHED_WIN or FINISHED_LOSE. The same final status again is a no-op; any other change is refused. */
export function planFinish(existing: EventRecord, status: FinalStatus): Plan {
  if (existing.status === status) {
    return { changed: false, event: existing };
  }
  if (isFinal(existing.status)) {
    throw new FailedPreconditionError(
      `event ${JSON.stringify(existing.eventId)} already finished as ${existing.status}; a result never changes`,
    );
  }
  const { eventId, coefficient, deadlineMs } = existing;
  return { changed: true, next: { eventId, coefficient, deadlineMs, status } };
}
