import type { MikroORM } from '@mikro-orm/postgresql';
import type { BetStatus, BetView } from '../domain/bet.js';
import { normaliseDecimal } from '../domain/decimal.js';
import { BetEntity } from './entities.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One bet by its public id, through the ORM (a cold path; a fresh EntityManager per call). A malformed
 * id cannot match anything, so it is "not found" without asking the database.
 */
export async function findBet(orm: MikroORM, betId: string): Promise<BetView | undefined> {
  if (!UUID.test(betId)) return undefined;
  const bet = await orm.em.fork().findOne(BetEntity, { betId: betId.toLowerCase() });
  if (bet === null) return undefined;
  return {
    bet_id: bet.betId,
    event_id: bet.event.id,
    amount: normaliseDecimal(bet.amount),
    coefficient: normaliseDecimal(bet.coefficient),
    status: bet.status as BetStatus,
    created_at: bet.createdAt.toISOString(),
    settled_at: bet.settledAt?.toISOString() ?? null,
  };
}
