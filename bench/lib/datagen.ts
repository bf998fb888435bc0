import type pg from 'pg';
import { progress } from './concurrency.js';

/**
 * Inserts `total` rows with one set-based statement per chunk (`INSERT ... SELECT ... FROM
 * generate_series($1, $2) AS g`), printing progress and rate. `sql` must use $1 and $2 as the bounds of
 * the series; chunks commit one by one, so memory and the transaction stay modest.
 */
export async function generate(
  pool: pg.Pool,
  label: string,
  total: number,
  sql: string,
  chunk = 250_000,
): Promise<number> {
  const started = performance.now();
  for (let from = 1; from <= total; from += chunk) {
    const to = Math.min(total, from + chunk - 1);
    await pool.query(sql, [from, to]);
    const s = (performance.now() - started) / 1000;
    const rate = Math.round(to / s).toLocaleString('en-US');
    progress(
      `${label}: ${to.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows (${s.toFixed(1)} s, ${rate} rows/s)`,
    );
  }
  return (performance.now() - started) / 1000;
}

/**
 * After bulk generation: fresh statistics and visibility map, then a checkpoint, so that the checkpoint the
 * generated WAL would set off does not write through the measurement that follows (the list-bets scenario of the
 * full run of 2026-11-27 12:15 was measured during one, 76 s long).
 */
export async function settleTables(pool: pg.Pool): Promise<void> {
  progress('VACUUM ANALYZE bets; CHECKPOINT');
  await pool.query('VACUUM ANALYZE bets');
  await pool.query('CHECKPOINT');
}

/** Pending bets on one event: amount 10.00, the event's coefficient 1.75. */
export const PENDING_BETS_SQL = (eventId: string): string =>
  `INSERT INTO bets (event_id, amount, coefficient)
   SELECT '${eventId.replace(/'/g, "''")}', 10.00, 1.75 FROM generate_series($1::int, $2::int) AS g`;
