import type Router from '@koa/router';
import { DomainError } from '../../domain/errors.js';
import type { HttpDeps } from '../deps.js';

/** Smaller bodies go as they are: compressing them saves little. */
const MIN_GZIP_BYTES = 1024;

export function eventRoutes(router: Router, deps: HttpDeps): void {
  /**
   * @openapi
   * /events:
   *   get:
   *     summary: Events that accept bets
   *     description: Every event that is NEW and whose deadline is in the future, ordered by deadline.
   *       Served from the in-memory mirror of line-provider's stream; gzip-compressed when the client
   *       accepts it (the body is serialised and compressed once per change, not per request).
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
   *       429: { $ref: '#/components/responses/TooManyRequests' }
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
    ctx.set('Vary', 'Accept-Encoding');
    if (body.bytes >= MIN_GZIP_BYTES && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      // Built once per body and shared by every request; after a change only the changed events' blocks are
      // compressed again.
      ctx.body = body.gzip();
    } else {
      ctx.body = body.json();
    }
  });
}
