import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { malformed } from '../domain/errors.js';

/** Encodes and checks the opaque keyset cursors of GET /bets. */
export interface CursorCodec {
  /** A cursor that pages from below the internal bet id `beforeId`. */
  encode: (beforeId: string) => string;
  /** The internal id inside a cursor; anything this codec did not issue is a 400 (DomainError). */
  decode: (cursor: string) => string;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** version + iv + 8-byte id + tag, in base64url. */
const CURSOR_BYTES = 1 + IV_BYTES + 8 + TAG_BYTES;
const CURSOR_TEXT = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((CURSOR_BYTES * 4) / 3)}}$`);
const MAX_BIGINT_ID = 9_223_372_036_854_775_807n;

/**
 * Cursors are the internal id sealed with AES-256-GCM: opaque (they reveal neither the id nor how many
 * bets exist) and authenticated, so any edit is refused before it reaches a query. The key comes from
 * `secret` (CURSOR_SECRET, through HKDF); without one it is random per process, so a cursor does not
 * survive a restart and is refused by another replica: the client starts again from the first page.
 */
export function createCursorCodec(secret?: string): CursorCodec {
  const key =
    secret === undefined
      ? randomBytes(32)
      : Buffer.from(hkdfSync('sha256', secret, 'bet-maker', 'GET /bets cursor v1', 32));
  const aad = Buffer.from([VERSION]);
  const bad = () =>
    malformed('Invalid cursor.', [
      {
        field: 'cursor',
        message:
          'not a cursor from a Link header of this service (or one from before a restart); start without one',
      },
    ]);

  return {
    encode: (beforeId) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
      const id = Buffer.alloc(8);
      id.writeBigUInt64BE(BigInt(beforeId));
      const sealed = Buffer.concat([cipher.update(id), cipher.final()]);
      return Buffer.concat([aad, iv, sealed, cipher.getAuthTag()]).toString('base64url');
    },
    decode: (cursor) => {
      if (!CURSOR_TEXT.test(cursor)) throw bad();
      const raw = Buffer.from(cursor, 'base64url');
      // Non-canonical base64 (other unused low bits) would decode to the same bytes: refused as edited.
      if (raw.length !== CURSOR_BYTES || raw[0] !== VERSION || raw.toString('base64url') !== cursor)
        throw bad();
      let id: bigint;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + IV_BYTES)).setAAD(aad);
        decipher.setAuthTag(raw.subarray(CURSOR_BYTES - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(raw.subarray(1 + IV_BYTES, CURSOR_BYTES - TAG_BYTES)),
          decipher.final(),
        ]);
        id = plain.readBigUInt64BE();
      } catch {
        throw bad();
      }
      // Only this codec can produce a valid seal, so these hold unless the key leaked; checked anyway.
      if (id < 1n || id > MAX_BIGINT_ID) throw bad();
      return id.toString();
    },
  };
}
