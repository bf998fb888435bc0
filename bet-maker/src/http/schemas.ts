import { BET_STATUSES, EVENT_ID, IDEMPOTENCY_KEY, MAX_AMOUNT_CENTS, type BetStatus } from '../domain/bet.js';
import { formatCents, parseDecimal, parseDecimalNumber, type Cents } from '../domain/decimal.js';
import { invalid, malformed, type FieldError } from '../domain/errors.js';
import { topLevelMembers } from './json-members.js';

export interface PlaceBetInput {
  eventId: string;
  amountCents: Cents;
}

const BET_FIELDS = new Set(['event_id', 'amount']);

/**
 * Validates a POST /bet body. Wrong shape (not an object, missing, mistyped, unknown or repeated fields):
 * 400. Right shape, wrong value (amount not a positive two-place decimal within range, malformed id): 422.
 * `rawBody` is the text the body was parsed from: a JSON number amount is judged as written there, so
 * `1e2` and `1.000` are refused like "1e2" and "1.000" (the parsed value alone would be a plain 100 or 1).
 */
export function parsePlaceBet(body: unknown, rawBody?: string): PlaceBetInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw malformed('The body must be a JSON object.', [{ field: '', message: 'expected an object' }]);
  }
  const shape: FieldError[] = [];
  const { event_id: eventId, amount } = body as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!BET_FIELDS.has(key)) shape.push({ field: key, message: 'unknown field' });
  }
  const members = rawBody === undefined ? [] : topLevelMembers(rawBody);
  const seen = new Set<string>();
  for (const { key } of members) {
    if (seen.has(key) && BET_FIELDS.has(key)) shape.push({ field: key, message: 'given more than once' });
    seen.add(key);
  }
  if (typeof eventId !== 'string') shape.push({ field: 'event_id', message: 'required, a string' });
  if (typeof amount !== 'number' && typeof amount !== 'string') {
    shape.push({ field: 'amount', message: 'required, a number or a decimal string' });
  }
  if (shape.length > 0) throw malformed('The body does not have the expected shape.', shape);

  const values: FieldError[] = [];
  if (typeof eventId === 'string' && !EVENT_ID.test(eventId)) {
    values.push({ field: 'event_id', message: '1 to 64 printable ASCII characters' });
  }
  const literal = members.find((m) => m.key === 'amount')?.number;
  const cents =
    typeof amount === 'number'
      ? literal === undefined
        ? parseDecimalNumber(amount)
        : parseDecimal(literal)
      : parseDecimal(String(amount));
  if (typeof cents !== 'bigint') {
    values.push({ field: 'amount', message: `${cents}: write it like 10 or 10.5 or "10.50"` });
  } else if (cents <= 0n) {
    values.push({ field: 'amount', message: 'must be greater than 0' });
  } else if (cents > MAX_AMOUNT_CENTS) {
    values.push({ field: 'amount', message: `must be at most ${formatCents(MAX_AMOUNT_CENTS)}` });
  }
  if (values.length > 0 || typeof cents !== 'bigint') throw invalid('The bet is not valid.', values);
  return { eventId: eventId as string, amountCents: cents };
}

/** The Idempotency-Key header, if any; a malformed one is a 400. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw malformed('Invalid Idempotency-Key header.', [
      { field: 'Idempotency-Key', message: 'one value of 1 to 255 printable ASCII characters' },
    ]);
  }
  return header;
}

export interface ListBetsQuery {
  status?: BetStatus | undefined;
  eventId?: string | undefined;
  limit: number;
  beforeId?: string | undefined;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
const LIST_PARAMS = new Set(['status', 'event_id', 'limit', 'cursor']);

/**
 * Validates GET /bets query parameters; anything unexpected is a 400 naming the parameter. `decodeCursor`
 * opens a cursor (see cursor.ts) and throws a 400 for one it did not issue.
 */
export function parseListBets(
  query: Record<string, string | string[] | undefined>,
  decodeCursor: (cursor: string) => string,
): ListBetsQuery {
  const errors: FieldError[] = [];
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (Array.isArray(v)) errors.push({ field: name, message: 'given more than once' });
    return typeof v === 'string' ? v : undefined;
  };
  for (const key of Object.keys(query)) {
    if (!LIST_PARAMS.has(key)) errors.push({ field: key, message: 'unknown parameter' });
  }
  const status = one('status');
  if (status !== undefined && !BET_STATUSES.includes(status as BetStatus)) {
    errors.push({ field: 'status', message: `one of ${BET_STATUSES.join(', ')}` });
  }
  const eventId = one('event_id');
  if (eventId !== undefined && !EVENT_ID.test(eventId)) {
    errors.push({ field: 'event_id', message: '1 to 64 printable ASCII characters' });
  }
  const limitText = one('limit');
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
  if (limitText !== undefined && (!/^\d{1,4}$/.test(limitText) || limit < 1 || limit > MAX_LIMIT)) {
    errors.push({ field: 'limit', message: `an integer from 1 to ${MAX_LIMIT}` });
  }
  const cursor = one('cursor');
  if (errors.length > 0) throw malformed('Invalid query parameters.', errors);
  return {
    status: status as BetStatus | undefined,
    eventId,
    limit,
    beforeId: cursor === undefined ? undefined : decodeCursor(cursor),
  };
}
