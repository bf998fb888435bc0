import type { BetStatus, BetView } from '../domain/bet.js';
import { takesBets } from './events-repo.js';
import { isoUtc, type Db, type Prepared, type Queryable } from './sql.js';

const VIEW = `bet_id::text AS bet_id, event_id, amount::text AS amount, coefficient::text AS coefficient,
  status, ${isoUtc('created_at')} AS created_at, ${isoUtc('settled_at')} AS settled_at`;

export interface NewBet {
  eventId: string;
  /** Two-place decimal string. */
  amount: string;
  idempotencyKey: string | null;
  requestHash: string | null;
}

const insertOne = (conflict: string): string =>
  `INSERT INTO bets (event_id, amount, coefficient, idempotency_key, request_hash)
   SELECT e.id, $1::numeric, e.coefficient, $2, $3 FROM events e
    WHERE e.id = $4 AND ${takesBets('e')}
    FOR SHARE
   ${conflict}
   RETURNING ${VIEW}`;
const INSERT_ONE: Prepared = { name: 'bets_insert_one', text: insertOne('') };
const INSERT_ONE_KEYED: Prepared = {
  name: 'bets_insert_one_keyed',
  text: insertOne('ON CONFLICT (idempotency_key) DO NOTHING'),
};

const INSERT_MANY: Prepared = {
  name: 'bets_insert_many',
  text: `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS x(bet_id uuid, event_id text, amount numeric, idempotency_key text, request_hash text, ord int)
     ), open AS (
       SELECT e.id, e.coefficient FROM events e
        WHERE e.id = ANY (ARRAY(SELECT event_id FROM x))
          AND ${takesBets('e')}
        ORDER BY e.id
        FOR SHARE OF e
     )
     INSERT INTO bets (bet_id, event_id, amount, coefficient, idempotency_key, request_hash)
     SELECT x.bet_id, x.event_id, x.amount, open.coefficient, x.idempotency_key, x.request_hash
       FROM x JOIN open ON open.id = x.event_id
      ORDER BY x.ord
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING ${VIEW}`,
};

/**
 * Inserts the bet only if its event is open at this instant, with the coefficient in force. FOR SHARE
 * makes a concurrent finish of the event wait for this insert (the foreign key alone takes FOR KEY
 * SHARE, which does not conflict with the status update), and a waiting insert re-checks the status.
 * Returns undefined when nothing was inserted: the event is not open, or the key was already used.
 */
export async function insertBet(db: Db, bet: NewBet): Promise<BetView | undefined> {
  const rows = await db.prepared<BetView>(bet.idempotencyKey === null ? INSERT_ONE : INSERT_ONE_KEYED, [
    bet.amount,
    bet.idempotencyKey,
    bet.requestHash,
    bet.eventId,
  ]);
  return rows[0];
}

/**
 * insertBet for many bets in one statement: one round trip and one commit (one WAL flush) for all of them.
 * Each row is inserted only if its event is open, as insertBet decides it; the events are share-locked in
 * id order, a fixed order, so that concurrent batches and event updates queue instead of deadlocking.
 * The caller picks each `betId`, which is how an inserted row finds its request; a bet missing from the
 * result was not inserted (its event is not open, or its key was already used, possibly in this batch).
 */
export async function insertBets(db: Db, bets: readonly (NewBet & { betId: string })[]): Promise<BetView[]> {
  const rows = bets.map((b, ord) => ({
    bet_id: b.betId,
    event_id: b.eventId,
    amount: b.amount,
    idempotency_key: b.idempotencyKey,
    request_hash: b.requestHash,
    ord,
  }));
  return db.prepared<BetView>(INSERT_MANY, [JSON.stringify(rows)]);
}

/** The bet stored under an idempotency key, with the hash of the request that created it. */
export async function findByIdempotencyKey(
  db: Queryable,
  key: string,
): Promise<(BetView & { request_hash: string | null }) | undefined> {
  const rows = await db.query<BetView & { request_hash: string | null }>(
    `SELECT ${VIEW}, request_hash FROM bets WHERE idempotency_key = ?`,
    [key],
  );
  return rows[0];
}

export interface BetFilter {
  status?: BetStatus | undefined;
  eventId?: string | undefined;
  /** Keyset position: only bets older than this internal id. */
  beforeId?: string | undefined;
  limit: number;
}

/** Newest first by internal id; one more row than asked tells whether a next page exists. */
export async function listBets(
  db: Queryable,
  f: BetFilter,
): Promise<{ bets: BetView[]; nextBeforeId: string | undefined }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    where.push(clause);
    params.push(value);
  };
  if (f.status !== undefined) add('status = ?', f.status);
  if (f.eventId !== undefined) add('event_id = ?', f.eventId);
  if (f.beforeId !== undefined) add('id < ?::bigint', f.beforeId);
  const rows = await db.query<BetView & { id: string }>(
    `SELECT id::text AS id, ${VIEW} FROM bets
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY bets.id DESC LIMIT ?`,
    [...params, f.limit + 1],
  );
  const more = rows.length > f.limit;
  const page = rows.slice(0, f.limit);
  return {
    bets: page.map((row) => toView(row)),
    nextBeforeId: more ? page[page.length - 1]?.id : undefined,
  };
}

/** The public fields of a bet row (drops internal columns such as id and request_hash). */
export function toView(row: BetView): BetView {
  return {
    bet_id: row.bet_id,
    event_id: row.event_id,
    amount: row.amount,
    coefficient: row.coefficient,
    status: row.status,
    created_at: row.created_at,
    settled_at: row.settled_at,
  };
}
