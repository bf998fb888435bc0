import type { Knex } from '@mikro-orm/postgresql';

/** Something that runs SQL: the pool or one transaction. */
export interface Queryable {
  /** Runs one statement with `?` placeholders bound as real parameters; returns its rows. */
  query: <T>(sql: string, params?: readonly unknown[]) => Promise<T[]>;
}

/** The pool, plus transactions. Hot paths use this, never the unit of work. */
export interface Db extends Queryable {
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;
}

interface RawResult<T> {
  rows: T[];
}

const wrap = (k: Knex | Knex.Transaction): Queryable => ({
  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    // knex turns `?` into $n and hands the values to pg as parameters (never interpolated).
    const res = await k.raw<RawResult<T>>(sql, params as Knex.RawBinding[]);
    return res.rows;
  },
});

/** Wraps the knex instance that MikroORM's PostgreSQL driver uses. */
export function createDb(knex: Knex): Db {
  const pool = wrap(knex);
  return {
    query: pool.query,
    transaction: (fn) => knex.transaction((trx) => fn(wrap(trx))),
  };
}

/** Formats a timestamptz column as RFC 3339 UTC with milliseconds, like Date#toISOString. */
export const isoUtc = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
