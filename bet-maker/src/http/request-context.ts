import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

/** A client's X-Request-Id is kept when it is 1 to 128 printable ASCII characters; otherwise one is made. */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Content-Security-Policy of every response but /docs (which sets its own): an API loads nothing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The request id of a request, set by {@link requestContext}. */
export const requestIdOf = (state: unknown): string | undefined =>
  (state as { requestId?: string } | undefined)?.requestId;

/**
 * First in the chain, so that every response carries them, errors included: the request id (the client's
 * `X-Request-Id` when usable, else a new UUID; echoed in the response and put in `ctx.state.requestId`
 * for logs and calls to line-provider) and the security headers. At debug level, one log line per request.
 */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const given = ctx.get('X-Request-Id');
    const requestId = CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    (ctx.state as { requestId?: string }).requestId = requestId;
    // On the Node response itself: for string values before anything is sent, ctx.set adds only a detour.
    const res = ctx.res;
    res.setHeader('X-Request-Id', requestId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', API_CSP);
    try {
      await next();
    } finally {
      if (logger.isLevelEnabled('debug')) {
        const ms = Math.round((performance.now() - started) * 10) / 10;
        logger.debug(
          { reqId: requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms },
          'request',
        );
      }
    }
  };
}
