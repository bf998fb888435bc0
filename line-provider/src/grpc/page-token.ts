import { InvalidArgumentError } from '../domain/errors.js';
import { parseEventId } from '../domain/validation.js';

// The version prefix lets the format change later while old tokens are still recognised (and refused clearly).
const PREFIX = 'v1:';

/** Opaque to clients: base64url of the last id of the page. Keyset paging, so pages stay correct under inserts. */
export function encodePageToken(lastEventId: string): string {
  return Buffer.from(PREFIX + lastEventId, 'utf8').toString('base64url');
}

/** The id after which the page starts, or undefined for the first page; a token we did not issue is INVALID_ARGUMENT. */
export function decodePageToken(token: string): string | undefined {
  if (token === '') return undefined;
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  // Node's decoder skips characters outside the alphabet; re-encoding catches any token that was not canonical.
  const canonical = Buffer.from(decoded, 'utf8').toString('base64url') === token;
  if (!canonical || !decoded.startsWith(PREFIX)) {
    throw new InvalidArgumentError('page_token', 'is not a token returned by ListEvents');
  }
  try {
    return parseEventId(decoded.slice(PREFIX.length));
  } catch {
    throw new InvalidArgumentError('page_token', 'is not a token returned by ListEvents');
  }
}

/** Default and maximum page sizes (the proto: 0 means 100, capped at 1000). */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function effectivePageSize(requested: number): number {
  if (requested <= 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}
