import type { EventStatus } from '../domain/bet.js';
import type { EventRecord } from '../domain/event.js';
import type { Queryable } from './sql.js';

/** Upserts per statement: keeps the JSON parameter and the statement's memory modest. */
const CHUNK = 5_000;

/**
 * Applies events at once, moving each row only forward: a finished event never changes; a NEW one takes
 * a newer revision, or any revision from another provider instance (a restarted provider counts again
 * from 1). Duplicate and stale deliveries are no-ops. Returns the rows that actually changed.
 * A finish is stamped with clock_timestamp() evaluated under the row lock, so it is later than the
 * created_at of every bet that got in before it (bet inserts hold FOR SHARE on the event).
 */
export async function upsertEvents(
  db: Queryable,
  events: readonly EventRecord[],
  instanceId: string,
): Promise<{ id: string; status: EventStatus }[]> {
  const changed: { id: string; status: EventStatus }[] = [];
  for (let i = 0; i < events.length; i += CHUNK) {
    const rows = latestPerId(events.slice(i, i + CHUNK)).map((e) => ({
      id: e.id,
      coefficient: e.coefficient,
      deadline: e.deadline.toISOString(),
      status: e.status,
      revision: e.revision,
    }));
    const out = await db.query<{ id: string; status: EventStatus }>(
      `INSERT INTO events AS e (id, coefficient, deadline, status, revision, provider_instance_id, finished_at)
       SELECT x.id, x.coefficient, x.deadline, x.status, x.revision, ?,
              CASE WHEN x.status <> 'NEW' THEN clock_timestamp() END
         FROM jsonb_to_recordset(?::jsonb)
           AS x(id text, coefficient numeric, deadline timestamptz, status text, revision bigint)
       ON CONFLICT (id) DO UPDATE SET
         coefficient = excluded.coefficient, deadline = excluded.deadline, status = excluded.status,
         revision = excluded.revision, provider_instance_id = excluded.provider_instance_id,
         orphaned_at = NULL, updated_at = now(),
         finished_at = CASE WHEN excluded.status <> 'NEW' THEN clock_timestamp() END
       WHERE e.status = 'NEW'
         AND (excluded.revision > e.revision OR excluded.provider_instance_id <> e.provider_instance_id)
       RETURNING e.id, e.status`,
      [instanceId, JSON.stringify(rows)],
    );
    changed.push(...out);
  }
  return changed;
}

/** One row per id (the newest revision): one INSERT ... ON CONFLICT cannot touch a row twice. */
function latestPerId(events: readonly EventRecord[]): EventRecord[] {
  const byId = new Map<string, EventRecord>();
  for (const e of events) {
    const prev = byId.get(e.id);
    if (prev === undefined || BigInt(e.revision) >= BigInt(prev.revision)) byId.set(e.id, e);
  }
  return [...byId.values()];
}

/**
 * After a full snapshot from `instanceId`: every open event still stamped with another instance was
 * absent from it (the provider lost it). It is marked orphaned, never guessed: no new bets, and its
 * pending bets stay PENDING until it reappears. Returns the newly orphaned ids.
 */
export async function markOrphans(db: Queryable, instanceId: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `UPDATE events SET orphaned_at = now()
      WHERE status = 'NEW' AND provider_instance_id <> ? AND orphaned_at IS NULL
      RETURNING id`,
    [instanceId],
  );
  return rows.map((r) => r.id);
}

/** Pending bets whose event vanished from the provider. */
export async function countOrphanedBets(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events e JOIN bets b ON b.event_id = e.id
      WHERE e.orphaned_at IS NOT NULL AND b.status = 'PENDING'`,
  );
  return rows[0]?.n ?? 0;
}

/** Why an event does not take bets, for the 404/409 of POST /bet. */
export async function eventAvailability(db: Queryable, id: string): Promise<'unknown' | 'closed' | 'open'> {
  const rows = await db.query<{ open: boolean }>(
    `SELECT (status = 'NEW' AND deadline > now() AND orphaned_at IS NULL) AS open FROM events WHERE id = ?`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) return 'unknown';
  return row.open ? 'open' : 'closed';
}
