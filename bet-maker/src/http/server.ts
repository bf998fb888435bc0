import Router from '@koa/router';
import Koa from 'koa';
import { createCursorCodec } from './cursor.js';
import type { HttpDeps, HttpOptions, RouteDeps } from './deps.js';
import { jsonBody } from './json-body.js';
import { errorHandler } from './problem.js';
import { rateLimit } from './rate-limit.js';
import { requestContext } from './request-context.js';
import { betRoutes } from './routes/bets.js';
import { docsRoutes } from './routes/docs.js';
import { eventRoutes } from './routes/events.js';
import { opsRoutes } from './routes/ops.js';

/** Body limit, bytes: a bet is a few dozen. */
const JSON_LIMIT = 16 * 1024;

/** Never rate limited: probes and scrapes come from the platform, often all from one address. */
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The Koa application: metrics, then request id and security headers (so every response has them), the
 * error mapping, the rate limit, the body (see jsonBody) and the routes.
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
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      deps.metrics.httpDuration.observe(
        { method: ctx.method, route: typeof route === 'string' ? route : 'unmatched', status: ctx.status },
        (performance.now() - started) / 1000,
      );
    }
  });
  app.use(requestContext(deps.logger));
  app.use(errorHandler(deps.logger));
  const limit = options.rateLimit;
  if (limit !== undefined && limit.perSecond > 0) {
    app.use(rateLimit({ ...limit, ...(options.now ? { now: options.now } : {}) }, UNLIMITED));
  }
  app.use(jsonBody(JSON_LIMIT));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
