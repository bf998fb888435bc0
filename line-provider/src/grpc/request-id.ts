import type { Metadata } from '@grpc/grpc-js';

const MAX_LENGTH = 128;

/**
 * The caller's `x-request-id` metadata (bet-maker sends the id of the REST request that caused the call), for the
 * log lines of the call. Cut to 128 characters: it is logged, and a caller controls it.
 */
export function requestIdOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get('x-request-id');
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_LENGTH) : undefined;
}
