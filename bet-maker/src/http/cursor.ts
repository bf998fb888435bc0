import { malformed } from '../domain/errors.js';

/**
 * Opaque keyset cursors for GET /bets: base64url of {"v":1,"before":"<internal id>"}. Decoding is strict,
 * so a tampered cursor is a 400, never a 500 or a scan; a cursor that decodes to another valid position
 * simply pages from there (it reveals nothing the caller could not list anyway).
 */
export function encodeCursor(beforeId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, before: beforeId })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const bad = () =>
    malformed('Invalid cursor.', [{ field: 'cursor', message: 'not a cursor from a Link header' }]);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof value !== 'object' || value === null) throw bad();
  const { v, before } = value as { v?: unknown; before?: unknown };
  if (v !== 1 || typeof before !== 'string' || !/^[1-9]\d{0,18}$/.test(before)) throw bad();
  if (BigInt(before) > 9_223_372_036_854_775_807n) throw bad();
  return before;
}
