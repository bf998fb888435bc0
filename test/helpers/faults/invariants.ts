/**
 * What must hold after every fault, read from bet-maker's database (the only source of truth):
 *
 * 1. no bet is PENDING on a finished event, and every bet on a finished event has its outcome
 *    (WON for FINISHED_WIN, LOST for FINISHED_LOSE); bets on open events are PENDING;
 * 2. every bet the test saw accepted (201) is stored exactly once, unchanged, with that outcome;
 * 3. no bet was accepted at or after its event's finish, or at or after its deadline, and none was
 *    settled before its event finished;
 * 4. when the settlement audit is installed: every settled bet changed status exactly once.
 */
import type { ExecutionContext } from 'ava';
import type pg from 'pg';
import type { AcceptedBet } from './bets.js';

const OUTCOME = `CASE e.status WHEN 'FINISHED_WIN' THEN 'WON' WHEN 'FINISHED_LOSE' THEN 'LOST' ELSE 'PENDING' END`;

export interface InvariantReport {
  bets: number;
  events: number;
  finishedEvents: number;
  accepted: number;
}

/** Asserts the invariants above; returns a few counts for the test's log. */
export async function assertInvariants(
  t: ExecutionContext,
  sql: pg.Pool,
  accepted: readonly AcceptedBet[],
): Promise<InvariantReport> {
  const one = async (query: string, params: unknown[] = []): Promise<number> =>
    Number((await sql.query<{ n: string | number }>(query, params)).rows[0]?.n ?? 0);

  t.is(
    await one(`SELECT count(*) AS n FROM bets b JOIN events e ON e.id = b.event_id
                WHERE e.status <> 'NEW' AND b.status = 'PENDING'`),
    0,
    'PENDING bets on finished events',
  );
  const wrong = await sql.query<{ event_id: string; event_status: string; status: string; n: string }>(
    `SELECT b.event_id, e.status AS event_status, b.status, count(*) AS n
       FROM bets b JOIN events e ON e.id = b.event_id
      WHERE b.status <> ${OUTCOME}
      GROUP BY 1, 2, 3 ORDER BY 1 LIMIT 10`,
  );
  t.deepEqual(wrong.rows, [], 'bets whose status does not match their event');
  t.is(
    await one(`SELECT count(*) AS n FROM events WHERE status <> 'NEW' AND finished_at IS NULL`),
    0,
    'finished events without finished_at',
  );

  // 2. Each accepted bet, exactly once and as it was accepted.
  const ids = accepted.map((b) => b.bet_id);
  t.is(new Set(ids).size, ids.length, 'the same bet_id accepted twice');
  const rows = await sql.query<{
    bet_id: string;
    copies: number;
    event_id: string | null;
    amount: string | null;
    coefficient: string | null;
    created_at: string | null;
    status: string | null;
    expected: string | null;
  }>(
    `SELECT a.bet_id::text AS bet_id, count(b.id)::int AS copies, min(b.event_id) AS event_id,
            min(b.amount::text) AS amount, min(b.coefficient::text) AS coefficient,
            min(to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS created_at,
            min(b.status) AS status, min(${OUTCOME}) AS expected
       FROM unnest($1::uuid[]) AS a(bet_id)
       LEFT JOIN bets b ON b.bet_id = a.bet_id
       LEFT JOIN events e ON e.id = b.event_id
      GROUP BY a.bet_id`,
    [ids],
  );
  const byId = new Map(rows.rows.map((r) => [r.bet_id, r]));
  const problems: string[] = [];
  for (const bet of accepted) {
    const row = byId.get(bet.bet_id);
    if (row === undefined || row.copies !== 1) {
      problems.push(`${bet.bet_id}: stored ${row?.copies ?? 0} times`);
      continue;
    }
    const stored = {
      event_id: row.event_id,
      amount: row.amount,
      coefficient: row.coefficient,
      created_at: row.created_at,
    };
    const answered = {
      event_id: bet.event_id,
      amount: bet.amount,
      coefficient: bet.coefficient,
      created_at: bet.created_at,
    };
    if (JSON.stringify(stored) !== JSON.stringify(answered)) {
      problems.push(`${bet.bet_id}: stored ${JSON.stringify(stored)}, answered ${JSON.stringify(answered)}`);
    }
    if (row.status !== row.expected) problems.push(`${bet.bet_id}: ${row.status}, expected ${row.expected}`);
  }
  t.deepEqual(problems.slice(0, 10), [], `${problems.length} accepted bets wrong`);

  // 3. Nothing accepted too late, nothing settled too early.
  const late = await sql.query(
    `SELECT b.bet_id, b.event_id, b.created_at, e.deadline, e.finished_at
       FROM bets b JOIN events e ON e.id = b.event_id
      WHERE b.created_at >= e.deadline OR b.created_at >= e.finished_at
      LIMIT 5`,
  );
  t.deepEqual(late.rows, [], 'bets accepted at or after their event finished or its deadline');
  t.is(
    await one(`SELECT count(*) AS n FROM bets b JOIN events e ON e.id = b.event_id
                WHERE b.settled_at < e.finished_at`),
    0,
    'bets settled before their event finished',
  );

  // 4. Settled exactly once, when the audit is there.
  if (await hasAudit(sql)) {
    t.is(
      await one(`SELECT count(*) AS n FROM (SELECT bet_id FROM settlement_audit GROUP BY bet_id
                  HAVING count(*) > 1 OR bool_or(old_status <> 'PENDING')) x`),
      0,
      'bets whose status was written more than once',
    );
    t.is(
      await one(`SELECT count(*) AS n FROM bets b WHERE b.status <> 'PENDING'
                  AND NOT EXISTS (SELECT 1 FROM settlement_audit a WHERE a.bet_id = b.id)`),
      0,
      'settled bets missing from the audit',
    );
  }

  const counts = await sql.query<{ bets: number; events: number; finished: number }>(
    `SELECT (SELECT count(*) FROM bets)::int AS bets, (SELECT count(*) FROM events)::int AS events,
            (SELECT count(*) FROM events WHERE status <> 'NEW')::int AS finished`,
  );
  const c = counts.rows[0];
  return {
    bets: c?.bets ?? 0,
    events: c?.events ?? 0,
    finishedEvents: c?.finished ?? 0,
    accepted: accepted.length,
  };
}

/**
 * Records every write to a bet's status or settled_at (a trigger into `settlement_audit`), so that a bet
 * settled twice, even to the same outcome, is caught. Install after bet-maker migrated, before settling.
 */
export async function installSettlementAudit(sql: pg.Pool): Promise<void> {
  await sql.query(`
    CREATE TABLE settlement_audit (
      bet_id bigint NOT NULL, old_status text NOT NULL, new_status text NOT NULL,
      at timestamptz NOT NULL DEFAULT clock_timestamp(), by_pid int NOT NULL DEFAULT pg_backend_pid())`);
  await sql.query(`
    CREATE FUNCTION settlement_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO settlement_audit (bet_id, old_status, new_status) VALUES (OLD.id, OLD.status, NEW.status);
      RETURN NEW;
    END $$`);
  await sql.query(`
    CREATE TRIGGER settlement_audit AFTER UPDATE OF status, settled_at ON bets
      FOR EACH ROW EXECUTE FUNCTION settlement_audit()`);
}

async function hasAudit(sql: pg.Pool): Promise<boolean> {
  const res = await sql.query(`SELECT 1 FROM pg_class WHERE relname = 'settlement_audit'`);
  return (res.rowCount ?? 0) > 0;
}
