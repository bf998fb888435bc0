import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type Router from '@koa/router';
import { DomainError } from '../../domain/errors.js';
import type { EventsBody } from '../../watch/event-cache.js';
import type { HttpDeps } from '../deps.js';

const gzipAsync = promisify(gzip);

/** Smaller bodies go as they are: compressing them saves little. */
const MIN_GZIP_BYTES = 1024;

export function eventRoutes(router: Router, deps: HttpDeps): void {
  // One gzip per body (that is, per change), shared by every request, done off the event loop. Level 1:
  // the events list compresses well anyway (about 30x here), and level 6 takes twice as long for 1% less.
  const gzipped = new WeakMap<EventsBody, Promise<Buffer>>();
  const gzipOf = (body: EventsBody): Promise<Buffer> => {
    let zipped = gzipped.get(body);
    if (zipped === undefined) {
      zipped = gzipAsync(body.json, { level: 1 });
      gzipped.set(body, zipped);
    }
    return zipped;
  };

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
  router.get('/events', async (ctx) => {
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
    if (body.json.length >= MIN_GZIP_BYTES && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = await gzipOf(body);
    } else {
      ctx.body = body.json;
    }
  });
}
