import Router from '@koa/router';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { DomainError } from '../domain/errors.js';
import { createCursorCodec } from './cursor.js';
import type { HttpDeps, HttpOptions, RouteDeps } from './deps.js';
import { errorHandler } from './problem.js';
import { rateLimit } from './rate-limit.js';
import { requestContext } from './request-context.js';
import { betRoutes } from './routes/bets.js';
import { docsRoutes } from './routes/docs.js';
import { eventRoutes } from './routes/events.js';
import { opsRoutes } from './routes/ops.js';

/** Body limit: a bet is a few dozen bytes. */
const JSON_LIMIT = '16kb';

/** Never rate limited: probes and scrapes come from the platform, often all from one address. */
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The Koa application: metrics, then request id and security headers (so every response has them), the
 * error mapping, the rate limit, the body parser and the routes.
 */
export function createHttpApp(deps: HttpDeps, options: HttpOptions = {}): Koa {
  const app = new Koa();
  app.proxy = options.trustProxy === true;
  // Only the hop our own proxy appended; the ones before it are whatever the client sent.
  app.maxIpsCount = 1;
  // Errors are logged by errorHandler; Koa's default would print them again to stderr.
  app.silent = true;
  const routeDeps: RouteDeps = { ...deps, cursors: createCursorCodec(options.cursorSecret) };
  const router = new Router();
  eventRoutes(router, routeDeps);
  betRoutes(router, routeDeps);
  opsRoutes(router, routeDeps);
  docsRoutes(router);

  app.use(async (ctx, next) => {
    const end = deps.metrics.httpDuration.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      end({ method: ctx.method, route: typeof route === 'string' ? route : 'unmatched', status: ctx.status });
    }
  });
  app.use(requestContext(deps.logger));
  app.use(errorHandler(deps.logger));
  const limit = options.rateLimit;
  if (limit !== undefined && limit.perSecond > 0) {
    app.use(rateLimit({ ...limit, ...(options.now ? { now: options.now } : {}) }, UNLIMITED));
  }
  app.use(async (ctx, next) => {
    // A bet is tiny: compressed bodies buy nothing and would put a decompressor in front of validation.
    const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') {
      throw new DomainError(
        'unsupported_media_type',
        'Content-Encoding is not supported; send the body as is.',
      );
    }
    await next();
  });
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: JSON_LIMIT, strict: true }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
