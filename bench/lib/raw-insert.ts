import pg from 'pg';
import { Recorder, type LatencySummary } from './stats.js';

export interface RawInsertResult {
  inserted: number;
  durationS: number;
  rps: number;
  latency: LatencySummary;
}

/**
 * The baseline of POST /bet: `concurrency` clients of the same driver (pg), each inserting one bet row per
 * statement (autocommit, so one commit per row) for `durationS`, on their own connections.
 */
export async function rawInserts(
  url: string,
  concurrency: number,
  durationS: number,
  pickEvent: () => string,
  rec = new Recorder(),
): Promise<RawInsertResult> {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  try {
    // Open every connection first: connecting is not what is measured.
    const clients = await Promise.all(Array.from({ length: concurrency }, () => pool.connect()));
    clients.forEach((c) => c.release());
    let inserted = 0;
    const started = performance.now();
    const end = started + durationS * 1000;
    const worker = async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await pool.query('INSERT INTO bets (event_id, amount, coefficient) VALUES ($1, $2, $3)', [
          pickEvent(),
          '10.00',
          '1.75',
        ]);
        rec.add(performance.now() - t);
        inserted++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const durationS2 = (performance.now() - started) / 1000;
    return { inserted, durationS: durationS2, rps: inserted / durationS2, latency: rec.summary() };
  } finally {
    await pool.end();
  }
}
