import type { EventRecord, EventStatus as DomainStatus } from '../domain/event.js';
import type { Event, WatchEventsRequest } from '../gen/lineprovider/v1/line_provider.js';
import { EventStatus } from '../gen/lineprovider/v1/line_provider.js';
import type { ResumePoint } from '../store/watch-types.js';

const TO_PROTO: Record<DomainStatus, EventStatus> = {
  NEW: EventStatus.EVENT_STATUS_NEW,
  FINISHED_WIN: EventStatus.EVENT_STATUS_FINISHED_WIN,
  FINISHED_LOSE: EventStatus.EVENT_STATUS_FINISHED_LOSE,
};

/** The stored record as the wire message; the revision becomes a uint64 string. */
export function toProtoEvent(record: EventRecord): Event {
  return {
    eventId: record.eventId,
    coefficient: record.coefficient,
    deadline: new Date(record.deadlineMs),
    status: TO_PROTO[record.status],
    revision: String(record.revision),
  };
}

/**
 * The proto status as the domain's name, for the domain to judge (`parseFinalStatus` refuses everything but the
 * two finished statuses, so UNSPECIFIED, NEW and unknown numbers all become INVALID_ARGUMENT naming `status`).
 */
export function fromProtoStatus(status: EventStatus): string {
  switch (status) {
    case EventStatus.EVENT_STATUS_FINISHED_WIN:
      return 'FINISHED_WIN';
    case EventStatus.EVENT_STATUS_FINISHED_LOSE:
      return 'FINISHED_LOSE';
    case EventStatus.EVENT_STATUS_NEW:
      return 'NEW';
    default:
      return 'UNSPECIFIED';
  }
}

/**
 * Where the client wants to resume, if anywhere. A revision that is not a safe integer cannot be one we issued,
 * so it is treated like no resume point at all: the client gets a full snapshot, which is always correct.
 */
export function toResumePoint(request: WatchEventsRequest): ResumePoint | undefined {
  if (request.resumeInstanceId === '') return undefined;
  const revision = Number(request.resumeRevision);
  if (!Number.isSafeInteger(revision) || revision < 0) return undefined;
  return { instanceId: request.resumeInstanceId, revision };
}
