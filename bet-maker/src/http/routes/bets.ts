import type Router from '@koa/router';
import { listBets } from '../../db/bets-repo.js';
import { findBet } from '../../db/find-bet.js';
import { placeBet } from '../../db/place-bet.js';
import { DomainError } from '../../domain/errors.js';
import type { RouteDeps } from '../deps.js';
import { isJson } from '../json-body.js';
import { parseIdempotencyKey, parseListBets, parsePlaceBet } from '../schemas.js';

export function betRoutes(router: Router, deps: RouteDeps): void {
  /**
   * @openapi
   * /bet:
   *   post:
   *     summary: Place a bet
   *     description: Accepted only while the event is NEW and before its deadline, and while the event feed
   *       from line-provider is live (503 otherwise); records the coefficient in force. With an Idempotency-Key, repeating the same request returns the same bet (201 again,
   *       with `Idempotent-Replayed true`); the same key with another body is refused with 422.
   *     tags: [bets]
   *     parameters:
   *       - in: header
   *         name: Idempotency-Key
   *         required: false
   *         schema: { type: string, minLength: 1, maxLength: 255 }
   *     requestBody:
   *       required: true
   *       content:
   *         application/json:
   *           schema: { $ref: '#/components/schemas/PlaceBet' }
   *     responses:
   *       201:
   *         description: The bet (new, or the one already placed with this Idempotency-Key)
   *         headers:
   *           Location: { schema: { type: string } }
   *           Idempotent-Replayed: { schema: { type: string, enum: ['true'] } }
   *         content:
   *           application/json:
   *             schema: { $ref: '#/components/schemas/Bet' }
   *       400: { $ref: '#/components/responses/BadRequest' }
   *       404: { $ref: '#/components/responses/NotFound' }
   *       409: { $ref: '#/components/responses/Conflict' }
   *       413: { $ref: '#/components/responses/BadRequest' }
   *       415: { $ref: '#/components/responses/BadRequest' }
   *       422: { $ref: '#/components/responses/Unprocessable' }
   *       429: { $ref: '#/components/responses/TooManyRequests' }
   *       503: { $ref: '#/components/responses/NotSynced' }
   */
  router.post('/bet', async (ctx) => {
    // rawBody is set only when the body parser read the body as JSON (its type test is stricter).
    if (!isJson(ctx) || ctx.request.rawBody === undefined) {
      throw new DomainError('unsupported_media_type', 'Send the bet as application/json.');
    }
    const key = parseIdempotencyKey(ctx.headers['idempotency-key']);
    const input = parsePlaceBet(ctx.request.body, ctx.request.rawBody);
    if (!deps.watcher.synced) {
      throw new DomainError('not_synced', 'bet-maker has not received the events from line-provider yet.');
    }
    // While the feed is down an event may already have finished upstream: betting on a known result is the
    // classic exploit, so bets wait until the stream is live again (a retry with the same Idempotency-Key is safe).
    if (deps.watcher.state !== 'live') {
      throw new DomainError(
        'feed_down',
        'Betting is suspended while the event feed from line-provider is down; retry shortly.',
      );
    }
    try {
      const { bet, replayed } = await placeBet(deps.db, { ...input, idempotencyKey: key });
      if (replayed) ctx.set('Idempotent-Replayed', 'true');
      else deps.metrics.betsPlaced.inc();
      ctx.status = 201;
      ctx.set('Location', `/bets/${bet.bet_id}`);
      ctx.body = bet;
    } catch (err) {
      if (err instanceof DomainError) deps.metrics.betsRefused.inc({ reason: err.code });
      throw err;
    }
  });

  /**
   * @openapi
   * /bets:
   *   get:
   *     summary: List bets, newest first
   *     description: Keyset pagination. When there are more bets, the response has a
   *       `Link <...>; rel="next"` header whose URL carries an opaque cursor.
   *     tags: [bets]
   *     parameters:
   *       - { in: query, name: status, schema: { type: string, enum: [PENDING, WON, LOST] } }
   *       - { in: query, name: event_id, schema: { type: string, maxLength: 64 } }
   *       - { in: query, name: limit, schema: { type: integer, minimum: 1, maximum: 500, default: 50 } }
   *       - { in: query, name: cursor, schema: { type: string }, description: From a Link header }
   *     responses:
   *       200:
   *         description: One page of bets
   *         headers:
   *           Link: { schema: { type: string }, description: 'rel="next" when there are more' }
   *         content:
   *           application/json:
   *             schema: { type: array, items: { $ref: '#/components/schemas/Bet' } }
   *       400: { $ref: '#/components/responses/BadRequest' }
   *       429: { $ref: '#/components/responses/TooManyRequests' }
   */
  router.get('/bets', async (ctx) => {
    const q = parseListBets(ctx.query, deps.cursors.decode);
    const { bets, nextBeforeId } = await listBets(deps.db, q);
    if (nextBeforeId !== undefined) {
      const next = new URLSearchParams();
      if (q.status !== undefined) next.set('status', q.status);
      if (q.eventId !== undefined) next.set('event_id', q.eventId);
      next.set('limit', String(q.limit));
      next.set('cursor', deps.cursors.encode(nextBeforeId));
      ctx.set('Link', `</bets?${next.toString()}>; rel="next"`);
    }
    ctx.body = bets;
  });

  /**
   * @openapi
   * /bets/{bet_id}:
   *   get:
   *     summary: One bet
   *     tags: [bets]
   *     parameters:
   *       - { in: path, name: bet_id, required: true, schema: { type: string, format: uuid } }
   *     responses:
   *       200:
   *         description: The bet
   *         content:
   *           application/json:
   *             schema: { $ref: '#/components/schemas/Bet' }
   *       404: { $ref: '#/components/responses/NotFound' }
   *       429: { $ref: '#/components/responses/TooManyRequests' }
   */
  router.get('/bets/:bet_id', async (ctx) => {
    const bet = await findBet(deps.orm, ctx.params.bet_id ?? '');
    if (bet === undefined) throw new DomainError('bet_not_found', 'No bet with this id.');
    ctx.body = bet;
  });
}
