import { createHash } from 'node:crypto';
import type { BetView } from '../domain/bet.js';
import { formatCents, type Cents } from '../domain/decimal.js';
import { DomainError } from '../domain/errors.js';
import { batcherFor } from './bet-batch.js';
import { findByIdempotencyKey, toView } from './bets-repo.js';
import { eventAvailability } from './events-repo.js';
import type { Db } from './sql.js';

export interface PlaceBet {
  eventId: string;
  amountCents: Cents;
  idempotencyKey: string | null;
}

/** The bet, and whether it was created now or replayed from an earlier request with the same key. */
export interface Placed {
  bet: BetView;
  replayed: boolean;
}

/**
 * Places a bet in one statement (see insertBet), shared with the bets placed at the same moment (see
 * BetBatcher: one commit for all of them). When nothing was inserted, finds out why: a replay of
 * the same key (same request: the stored bet; another request: 422), an unknown event (404) or an event
 * that no longer takes bets (409). Nothing is stored on any refusal.
 */
export async function placeBet(db: Db, req: PlaceBet): Promise<Placed> {
  const amount = formatCents(req.amountCents);
  const hash =
    req.idempotencyKey === null
      ? null
      : createHash('sha256').update(`${req.eventId}\n${amount}`).digest('base64url');
  const bet = await batcherFor(db).insert({
    eventId: req.eventId,
    amount,
    idempotencyKey: req.idempotencyKey,
    requestHash: hash,
  });
  if (bet !== undefined) return { bet, replayed: false };
  if (req.idempotencyKey !== null) {
    const prior = await findByIdempotencyKey(db, req.idempotencyKey);
    if (prior !== undefined) {
      if (prior.request_hash !== hash) {
        throw new DomainError(
          'idempotency_key_reused',
          'This Idempotency-Key was already used for a different bet; use a new key for a new bet.',
        );
      }
      return { bet: toView(prior), replayed: true };
    }
  }
  const availability = await eventAvailability(db, req.eventId);
  if (availability === 'unknown') {
    throw new DomainError('event_not_found', `Event ${JSON.stringify(req.eventId)} does not exist.`);
  }
  throw new DomainError(
    'event_closed',
    `Event ${JSON.stringify(req.eventId)} no longer accepts bets (finished or past its deadline).`,
  );
}
