/** What a bet can be; WON/LOST are final. */
export type BetStatus = 'PENDING' | 'WON' | 'LOST';
export const BET_STATUSES: readonly BetStatus[] = ['PENDING', 'WON', 'LOST'];

/** The event statuses bet-maker stores (the proto's, without the prefix). */
export type EventStatus = 'NEW' | 'FINISHED_WIN' | 'FINISHED_LOSE';

/** The outcome of a bet on a finished event; undefined while the event is open. */
export function outcomeOf(status: EventStatus): Exclude<BetStatus, 'PENDING'> | undefined {
  if (status === 'FINISHED_WIN') return 'WON';
  if (status === 'FINISHED_LOSE') return 'LOST';
  return undefined;
}

/** A bet as the REST API shows it: decimals as two-place strings, times RFC 3339 UTC. */
export interface BetView {
  bet_id: string;
  event_id: string;
  amount: string;
  coefficient: string;
  status: BetStatus;
  created_at: string;
  settled_at: string | null;
}

/** Largest accepted stake, in hundredths: 1,000,000.00. */
export const MAX_AMOUNT_CENTS = 100_000_000n;

/**
 * Event ids are 1 to 64 printable ASCII characters, space included: exactly the provider's rule. A stricter
 * rule here once made an id like "Derby 2025" a protocol error that stopped the sync for good.
 */
export const EVENT_ID = /^[\x20-\x7e]{1,64}$/;

/** Idempotency keys: 1 to 255 printable ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
