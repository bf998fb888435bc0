/** Placing bets over HTTP and remembering every one that bet-maker accepted (its 201 answers). */
import { request } from './http.js';

/** A bet as the 201 of POST /bet showed it. */
export interface AcceptedBet {
  bet_id: string;
  event_id: string;
  amount: string;
  coefficient: string;
  status: string;
  created_at: string;
}

/** Every accepted bet of a test, and how many requests got each other status. */
export class BetLedger {
  readonly accepted: AcceptedBet[] = [];
  /** HTTP status -> count, for everything but 201. */
  readonly refused = new Map<number, number>();

  /** POST /bet; returns the status (a 201 is recorded; network errors throw). */
  async place(base: string, eventId: string, amount = '1.00'): Promise<number> {
    const res = await request<AcceptedBet>(base, 'POST', '/bet', { event_id: eventId, amount });
    if (res.status === 201) this.accepted.push(res.body);
    else this.refused.set(res.status, (this.refused.get(res.status) ?? 0) + 1);
    return res.status;
  }

  /** Places one bet and fails unless it was accepted. */
  async mustPlace(base: string, eventId: string, amount = '1.00'): Promise<AcceptedBet> {
    const status = await this.place(base, eventId, amount);
    const bet = this.accepted[this.accepted.length - 1];
    if (status !== 201 || bet === undefined) throw new Error(`POST /bet on ${eventId}: ${status}`);
    return bet;
  }

  on(eventId: string): AcceptedBet[] {
    return this.accepted.filter((b) => b.event_id === eventId);
  }
}
