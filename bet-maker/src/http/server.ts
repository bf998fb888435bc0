import Router from '@koa/router';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type { HttpDeps } from './deps.js';
import { errorHandler } from './problem.js';
import { betRoutes } from './routes/bets.js';
import { docsRoutes } from './routes/docs.js';
import { eventRoutes } from './routes/events.js';
import { opsRoutes } from './routes/ops.js';

/** Body limit: a bet is a few dozen bytes. */
const JSON_LIMIT = '16kb';

/** The Koa application: error mapping first, then metrics, headers, the body parser and the routes. */
export function createHttpApp(deps: HttpDeps): Koa {
  const app = new Koa();
  app.proxy = false;
  // Errors are logged by errorHandler; Koa's default would print them again to stderr.
  app.silent = true;
  const router = new Router();
  eventRoutes(router, deps);
  betRoutes(router, deps);
  opsRoutes(router, deps);
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
  app.use(errorHandler(deps.logger));
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  });
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: JSON_LIMIT, strict: true }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
