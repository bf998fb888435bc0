import type { StatusObject } from '@grpc/grpc-js';
import { Metadata, status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import type { DomainErrorCode } from '../domain/errors.js';
import { DomainError, InvalidArgumentError } from '../domain/errors.js';
import { StorageUnavailableError } from '../store/storage-error.js';

const CODES: Record<DomainErrorCode, Status> = {
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  NOT_FOUND: Status.NOT_FOUND,
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  FAILED_PRECONDITION: Status.FAILED_PRECONDITION,
};

/**
 * The one mapping from an error to a gRPC status. Domain errors keep their message (written for clients);
 * an INVALID_ARGUMENT also names the field in the `invalid-field` trailer. A change the journal could not store is
 * UNAVAILABLE (nothing was applied, retrying is safe; the journal logged the cause). Anything else is a bug: it is logged
 * with its stack and the client gets INTERNAL with a generic message, so internals never leak.
 */
export function toStatus(error: unknown, logger: Logger): StatusObject {
  const metadata = new Metadata();
  if (error instanceof DomainError) {
    if (error instanceof InvalidArgumentError) metadata.set('invalid-field', error.field);
    return { code: CODES[error.code], details: error.message, metadata };
  }
  if (error instanceof StorageUnavailableError) {
    return {
      code: Status.UNAVAILABLE,
      details: 'the change could not be stored and was not applied; retry',
      metadata,
    };
  }
  logger.error({ err: error }, 'unexpected error while handling a call');
  return { code: Status.INTERNAL, details: 'internal error', metadata };
}
