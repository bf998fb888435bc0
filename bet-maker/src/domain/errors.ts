/** One wrong field of a request, as listed in a problem+json `errors` member. */
export interface FieldError {
  field: string;
  message: string;
}

/** Stable error codes; the HTTP edge maps each to a status in one place (src/http/problem.ts). */
export type ErrorCode =
  | 'malformed_request'
  | 'validation_failed'
  | 'unsupported_media_type'
  | 'event_not_found'
  | 'event_closed'
  | 'bet_not_found'
  | 'idempotency_key_reused'
  | 'not_synced'
  | 'feed_down';

/** A failure the client can act on: it carries a stable code and a detail safe to show. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

export const malformed = (detail: string, errors?: FieldError[]) =>
  new DomainError('malformed_request', detail, errors);
export const invalid = (detail: string, errors?: FieldError[]) =>
  new DomainError('validation_failed', detail, errors);
