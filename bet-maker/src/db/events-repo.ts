import type { EventStatus } from '../domain/bet.js';
import type { EventRecord } from '../domain/event.js';
import type { Queryable } from './sql.js';

/**
 * Events travel as five text parameters, one line per event (an id is printable ASCII, so it holds no
 * newline), split by string_to_array: PostgreSQL parses that faster than JSON or bound arrays, and the
 * client only joins strings. Deadlines go as epoch milliseconds and are rebuilt exactly in UTC (a float
 * product of milliseconds would lose microseconds after 2255).
 */
const EVENT_ROWS = `unnest(string_to_array(?, E'\\n'), string_to_array(?, E'\\n')::numeric[],
    string_to_array(?, E'\\n')::bigint[], string_to_array(?, E'\\n'), string_to_array(?, E'\\n')::bigint[])
  AS x(id, coefficient, deadline_ms, status, revision)`;

/** The INSERT head for rows of EVENT_ROWS; its one parameter is the provider instance. */
const INSERT_EVENT = `INSERT INTO events AS e (id, coefficient, deadline, status, revision, provider_instance_id, finished_at)
  SELECT x.id, x.coefficient,
         (timestamp 'epoch' + (x.deadline_ms / 86400000) * interval '1 day'
            + (x.deadline_ms % 86400000) * interval '1 millisecond') AT TIME ZONE 'UTC',
         x.status, x.revision, ?, CASE WHEN x.status <> 'NEW' THEN clock_timestamp() END`;

/** The five parameters of EVENT_ROWS. */
const eventColumns = (events: readonly EventRecord[]): string[] => [
  events.map((e) => e.id).join('\n'),
  events.map((e) => e.coefficient).join('\n'),
  events.map((e) => e.deadline.getTime()).join('\n'),
  events.map((e) => e.status).join('\n'),
  events.map((e) => e.revision).join('\n'),
];

/**
 * Applies events in one statement, moving each row only forward: a finished event never changes; a NEW one
 * takes a newer revision, or any revision from another provider instance (a restarted provider counts again
 * from 1), or its own revision again when it was marked orphaned (seen again, so not vanished after all).
 * Duplicate and stale deliveries are no-ops. Rows are locked in id order, the order in which a bet batch
 * share-locks events (bets-repo insertBets), so the two cannot deadlock. Returns the rows that changed.
 * A finish is stamped with clock_timestamp() evaluated under the row lock, so it is later than the
 * created_at of every bet that got in before it (bet inserts hold FOR SHARE on the event).
 */
export async function upsertEvents(
  db: Queryable,
  events: readonly EventRecord[],
  instanceId: string,
): Promise<{ id: string; status: EventStatus }[]> {
  if (events.length === 0) return [];
  return db.query<{ id: string; status: EventStatus }>(
    `${INSERT_EVENT}
       FROM ${EVENT_ROWS}
      ORDER BY x.id
     ON CONFLICT (id) DO UPDATE SET
       coefficient = excluded.coefficient, deadline = excluded.deadline, status = excluded.status,
       revision = excluded.revision, provider_instance_id = excluded.provider_instance_id,
       orphaned_at = NULL, updated_at = now(),
       finished_at = CASE WHEN excluded.status <> 'NEW' THEN clock_timestamp() END
     WHERE e.status = 'NEW'
       AND (excluded.revision > e.revision OR excluded.provider_instance_id <> e.provider_instance_id
            OR (e.orphaned_at IS NOT NULL AND excluded.revision = e.revision))
     RETURNING e.id, e.status`,
    [instanceId, ...eventColumns(latestPerId(events))],
  );
}

/** What {@link insertAbsentEvents} did: the finished events it inserted, and the ids it left alone. */
export interface AbsentInsert {
  finished: { id: string; status: EventStatus }[];
  /** Rows that exist and need moving forward (or, with `skipRaced`, that another transaction inserted). */
  later: string[];
}

/**
 * The first half of applying a snapshot as it arrives, inside its transaction: inserts the events that
 * have no row yet and reads, without locking anything, which existing rows need {@link upsertEvents}. A
 * new row is invisible to bet batches until commit, so this takes no lock a bet could wait on, in whatever
 * order the chunks arrive; the locking half then runs once, in id order. Rows already up to date (the
 * common case on a restart) are neither written nor locked.
 * Without `skipRaced`, a plain INSERT (about 40% cheaper than ON CONFLICT's speculative insertion):
 * an id that another transaction inserted after this statement looked fails it with a unique violation,
 * and the caller retries with `skipRaced`, which skips such ids and reports them in `later`.
 */
export async function insertAbsentEvents(
  db: Queryable,
  events: readonly EventRecord[],
  instanceId: string,
  opts: { skipRaced: boolean },
): Promise<AbsentInsert> {
  if (events.length === 0) return { finished: [], later: [] };
  const rowsIn = latestPerId(events);
  // `current` is NULL without a row, true when the row needs nothing (the upsert's condition, negated).
  const rows = await db.query<{ id: string; status: EventStatus | null }>(
    `WITH x AS MATERIALIZED (
       SELECT x.*,
              (SELECT o.status <> 'NEW'
                      OR (o.provider_instance_id = ? AND x.revision <= o.revision
                          AND (o.orphaned_at IS NULL OR x.revision < o.revision))
                 FROM events o WHERE o.id = x.id) AS current
         FROM ${EVENT_ROWS}
     ), inserted AS (
       ${INSERT_EVENT} FROM x WHERE x.current IS NULL
       ${opts.skipRaced ? 'ON CONFLICT (id) DO NOTHING' : ''}
       RETURNING e.id, e.status
     )
     SELECT id, status FROM inserted WHERE status <> 'NEW'
     UNION ALL
     SELECT id, NULL FROM x
      WHERE NOT x.current ${opts.skipRaced ? 'OR (x.current IS NULL AND x.id NOT IN (SELECT id FROM inserted))' : ''}`,
    [instanceId, ...eventColumns(rowsIn), instanceId],
  );
  const out: AbsentInsert = { finished: [], later: [] };
  for (const r of rows) {
    if (r.status === null) out.later.push(r.id);
    else out.finished.push({ id: r.id, status: r.status });
  }
  return out;
}

/**
 * One row per id (the newest revision): one INSERT ... ON CONFLICT cannot touch a row twice, and a plain
 * INSERT cannot insert it twice.
 */
function latestPerId(events: readonly EventRecord[]): readonly EventRecord[] {
  const byId = new Map<string, EventRecord>();
  for (const e of events) {
    const prev = byId.get(e.id);
    if (prev === undefined || BigInt(e.revision) >= BigInt(prev.revision)) byId.set(e.id, e);
  }
  return byId.size === events.length ? events : [...byId.values()];
}

/**
 * Before the end of a snapshot writes existing rows: locks, in one statement and in id order, all it is
 * about to lock (the rows `ids` that move forward and the open events of other instances, which it may
 * mark orphaned), so that the upsert and markOrphans after it take no new lock in another order. Two
 * statements each in id order could still deadlock with a bet batch between them.
 */
export async function lockSnapshotEnd(
  db: Queryable,
  ids: readonly string[],
  instanceId: string,
): Promise<void> {
  await db.query(
    `SELECT id FROM events
      WHERE id = ANY (string_to_array(?, E'\\n'))
         OR (status = 'NEW' AND provider_instance_id <> ? AND orphaned_at IS NULL)
      ORDER BY id
      FOR UPDATE`,
    [ids.join('\n'), instanceId],
  );
}

/**
 * After a full snapshot from `instanceId`: every open event still stamped with another instance was
 * absent from it (the provider lost it). It is marked orphaned, never guessed: no new bets, and its
 * pending bets stay PENDING until it reappears. Locks in id order, like everything else that locks events.
 * Returns the newly orphaned ids.
 */
export async function markOrphans(db: Queryable, instanceId: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `WITH o AS (
       SELECT id FROM events
        WHERE status = 'NEW' AND provider_instance_id <> ? AND orphaned_at IS NULL
        ORDER BY id
        FOR UPDATE
     )
     UPDATE events e SET orphaned_at = now() FROM o
      WHERE e.id = o.id AND e.status = 'NEW' AND e.provider_instance_id <> ? AND e.orphaned_at IS NULL
     RETURNING e.id`,
    [instanceId, instanceId],
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

/**
 * The SQL condition under which the event row `alias` takes bets: NEW, before its deadline, and not orphaned
 * (its provider instance is gone and has not confirmed it). Inserting a bet and explaining a refusal both use it.
 */
export const takesBets = (alias: string): string =>
  `${alias}.status = 'NEW' AND ${alias}.deadline > now() AND ${alias}.orphaned_at IS NULL`;

/** Why an event does not take bets, for the 404/409 of POST /bet. */
export async function eventAvailability(db: Queryable, id: string): Promise<'unknown' | 'closed' | 'open'> {
  const rows = await db.query<{ open: boolean }>(
    `SELECT (${takesBets('e')}) AS open FROM events e WHERE e.id = ?`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) return 'unknown';
  return row.open ? 'open' : 'closed';
}
