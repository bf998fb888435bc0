import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { DomainError, type ErrorCode, type FieldError } from '../domain/errors.js';
import { requestIdOf } from './request-context.js';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

type Code =
  ErrorCode | 'route_not_found' | 'method_not_allowed' | 'payload_too_large' | 'rate_limited' | 'internal';

/** The one mapping from error codes to HTTP statuses and titles. */
const STATUS: Record<Code, [number, string]> = {
  malformed_request: [400, 'Malformed request'],
  validation_failed: [422, 'Validation failed'],
  unsupported_media_type: [415, 'Unsupported media type'],
  event_not_found: [404, 'Event not found'],
  bet_not_found: [404, 'Bet not found'],
  route_not_found: [404, 'Not found'],
  method_not_allowed: [405, 'Method not allowed'],
  event_closed: [409, 'Event does not accept bets'],
  idempotency_key_reused: [422, 'Idempotency key reused with another request'],
  payload_too_large: [413, 'Payload too large'],
  rate_limited: [429, 'Too many requests'],
  not_synced: [503, 'Not synced with line-provider'],
  feed_down: [503, 'Betting suspended'],
  internal: [500, 'Internal server error'],
};

export function problemOf(code: Code, detail: string, errors?: FieldError[]): Problem {
  const [status, title] = STATUS[code];
  return { type: `urn:bet-maker:problem:${code}`, title, status, detail, ...(errors ? { errors } : {}) };
}

export function sendProblem(ctx: Context, p: Problem): void {
  ctx.status = p.status;
  // A 503 is temporary (not synced yet, feed down): tell clients when to try again.
  if (p.status === 503) ctx.set('Retry-After', '1');
  ctx.type = 'application/problem+json';
  ctx.body = JSON.stringify(p);
}

/** Errors thrown by Koa's own middleware (body parser and the like) carry a status and `expose`. */
interface HttpError {
  status?: unknown;
  expose?: unknown;
  type?: unknown;
}

function fromHttpError(err: HttpError): Problem | undefined {
  if (typeof err.status !== 'number' || err.status < 400 || err.status >= 500) return undefined;
  if (err.status === 413) return problemOf('payload_too_large', 'The request body is too large.');
  if (err.status === 415) return problemOf('unsupported_media_type', 'Send application/json.');
  if (err.status === 400) return problemOf('malformed_request', 'The request body is not valid JSON.');
  return { ...problemOf('malformed_request', 'The request was refused.'), status: err.status };
}

/**
 * First in the chain: every error becomes problem+json here and nowhere else. Domain errors map through
 * STATUS; unknown errors are logged (with the request id the client got in X-Request-Id) and answered with
 * a generic 500 (no stack, no SQL).
 */
export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      const empty = ctx.body === undefined || ctx.body === null;
      if (empty && ctx.status === 404) {
        sendProblem(ctx, problemOf('route_not_found', `No route for ${ctx.method} ${ctx.path}.`));
      } else if (empty && ctx.status === 405) {
        sendProblem(ctx, problemOf('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`));
      }
    } catch (err) {
      if (err instanceof DomainError) return sendProblem(ctx, problemOf(err.code, err.message, err.errors));
      const known = fromHttpError(err as HttpError);
      if (known) return sendProblem(ctx, known);
      logger.error(
        { err, reqId: requestIdOf(ctx.state), method: ctx.method, path: ctx.path },
        'request failed',
      );
      sendProblem(ctx, problemOf('internal', 'The request could not be completed.'));
    }
  };
}
