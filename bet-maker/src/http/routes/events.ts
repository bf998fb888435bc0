import type Router from '@koa/router';
import { DomainError } from '../../domain/errors.js';
import type { HttpDeps } from '../deps.js';

export function eventRoutes(router: Router, deps: HttpDeps): void {
  /**
   * @openapi
   * /events:
   *   get:
   *     summary: Events that accept bets
   *     description: Every event that is NEW and whose deadline is in the future, ordered by deadline.
   *       Served from the in-memory mirror of line-provider's stream.
   *     tags: [events]
   *     responses:
   *       200:
   *         description: The open events
   *         headers:
   *           ETag: { schema: { type: string } }
   *         content:
   *           application/json:
   *             schema: { type: array, items: { $ref: '#/components/schemas/Event' } }
   *       304: { description: Not modified (If-None-Match) }
   *       503: { $ref: '#/components/responses/NotSynced' }
   */
  router.get('/events', (ctx) => {
    if (!deps.watcher.synced) {
      throw new DomainError('not_synced', 'bet-maker has not received the events from line-provider yet.');
    }
    const body = deps.watcher.cache.bodyAt(Date.now());
    ctx.set('ETag', body.etag);
    ctx.set('Cache-Control', 'no-cache');
    if (ctx.get('If-None-Match') === body.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json';
    ctx.body = body.json;
  });
}
