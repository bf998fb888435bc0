/** Stable codes of domain errors; the gRPC edge maps each to a status in one place (grpc/to-status.ts). */
export type DomainErrorCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION';

/** Base of every expected, client-caused error. Anything else reaching the edge is a bug (INTERNAL). */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}

/** A request field is missing or malformed; `field` names it in the proto's snake_case. */
export class InvalidArgumentError extends DomainError {
  override readonly name = 'InvalidArgumentError';
  readonly code = 'INVALID_ARGUMENT';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** No event has this id. */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  constructor(readonly eventId: string) {
    super(`event ${JSON.stringify(eventId)} not found`);
  }
}

/** An event with this id exists with different content. */
export class AlreadyExistsError extends DomainError {
  override readonly name = 'AlreadyExistsError';
  readonly code = 'ALREADY_EXISTS';
  constructor(readonly eventId: string) {
    super(`event ${JSON.stringify(eventId)} already exists with a different coefficient or deadline`);
  }
}

/** The event's state forbids the change (it is finished). */
export class FailedPreconditionError extends DomainError {
  override readonly name = 'FailedPreconditionError';
  readonly code = 'FAILED_PRECONDITION';
}
