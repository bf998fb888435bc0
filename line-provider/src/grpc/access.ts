import { createHash, timingSafeEqual } from 'node:crypto';

import type { Metadata } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';

/** What a method needs: `write` the admin token, `read` the reader token or the admin token. */
export type Access = 'read' | 'write';

/** Why a call was refused; a metric label and a log field (never the token itself). */
export type RefusalReason = 'missing_token' | 'malformed_header' | 'wrong_token' | 'read_token_on_write';

export interface Refusal {
  readonly code: Status.UNAUTHENTICATED | Status.PERMISSION_DENIED;
  readonly reason: RefusalReason;
  /** For the client. */
  readonly details: string;
}

/** The configured tokens; an absent token leaves its methods open. */
export interface AccessTokens {
  /** Required by CreateEvent, UpdateEvent and UpdateEventStatus when set; also accepted wherever a reader is. */
  readonly adminToken?: string | undefined;
  /** Required by GetEvent, ListEvents and WatchEvents when set (the admin token works there too). */
  readonly readToken?: string | undefined;
}

// Comparing SHA-256 digests: both sides are 32 bytes whatever the lengths, so timingSafeEqual applies and the time
// taken tells nothing about the token, not even its length.
const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Checks the `authorization: Bearer <token>` metadata of a call against the configured tokens. */
export class AccessControl {
  private readonly admin: Buffer | undefined;
  private readonly reader: Buffer | undefined;

  constructor(tokens: AccessTokens) {
    this.admin = tokens.adminToken === undefined ? undefined : digest(tokens.adminToken);
    this.reader = tokens.readToken === undefined ? undefined : digest(tokens.readToken);
  }

  /** Which kinds of method need a token, for the start-up log. */
  get protects(): { readonly write: boolean; readonly read: boolean } {
    return { write: this.admin !== undefined, read: this.reader !== undefined };
  }

  /** Undefined when the call may proceed, else why not. */
  check(access: Access, metadata: Metadata): Refusal | undefined {
    const needed = access === 'write' ? this.admin : this.reader;
    if (needed === undefined) return undefined;
    const token = bearerToken(metadata);
    if (token === undefined) {
      return {
        code: Status.UNAUTHENTICATED,
        reason: 'missing_token',
        details: 'this call needs the metadata "authorization: Bearer <token>"',
      };
    }
    if (token === null) {
      return {
        code: Status.UNAUTHENTICATED,
        reason: 'malformed_header',
        details: 'the authorization metadata must be "Bearer <token>"',
      };
    }
    const presented = digest(token);
    const isAdmin = this.admin !== undefined && timingSafeEqual(presented, this.admin);
    const isReader = this.reader !== undefined && timingSafeEqual(presented, this.reader);
    if (isAdmin || (access === 'read' && isReader)) return undefined;
    if (isReader) {
      return {
        code: Status.PERMISSION_DENIED,
        reason: 'read_token_on_write',
        details: 'the reader token cannot change events; this call needs the admin token',
      };
    }
    return {
      code: Status.PERMISSION_DENIED,
      reason: 'wrong_token',
      details: 'the token is not valid for this call',
    };
  }
}

/** The token of the first authorization value: undefined when there is none, null when it is not "Bearer x". */
function bearerToken(metadata: Metadata): string | undefined | null {
  const [value] = metadata.get('authorization');
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return null;
  return /^Bearer +(\S+) *$/i.exec(value)?.[1] ?? null;
}
