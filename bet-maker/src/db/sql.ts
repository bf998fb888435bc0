import type { Knex } from '@mikro-orm/postgresql';

/** Something that runs SQL: the pool or one transaction. */
export interface Queryable {
  /** Runs one statement with `?` placeholders bound as real parameters; returns its rows. */
  query: <T>(sql: string, params?: readonly unknown[]) => Promise<T[]>;
}

/**
 * A statement of fixed text that each connection parses and plans once (a named prepared statement), for
 * the hot paths: at a few hundred statements a second PostgreSQL's parse and plan of a CTE-heavy insert
 * cost as much as running it. Placeholders are `$1`, `$2`... The name must be unique to the text: a
 * connection keeps the first text it prepared under a name.
 */
export interface Prepared {
  name: string;
  text: string;
}

/** The pool, plus transactions. Hot paths use this, never the unit of work. */
export interface Db extends Queryable {
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;
  /** Runs a prepared statement on a connection of the pool; returns its rows. */
  prepared: <T>(stmt: Prepared, params: readonly unknown[]) => Promise<T[]>;
}

interface RawResult<T> {
  rows: T[];
}

/** The part of a pg connection (what knex's pool holds) that `prepared` uses. */
interface PgConnection {
  query: <T>(config: { name: string; text: string; values: unknown[] }) => Promise<RawResult<T>>;
}

/** knex's client: its pool of pg connections (tarn), with knex's checks on acquire and release. */
interface KnexPool {
  acquireConnection: () => Promise<PgConnection>;
  releaseConnection: (connection: PgConnection) => Promise<void>;
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
  const client = knex.client as KnexPool;
  return {
    query: pool.query,
    transaction: (fn) => knex.transaction((trx) => fn(wrap(trx))),
    // Straight to pg on a connection from knex's own pool (the one its queries use): a fixed text needs
    // none of raw()'s placeholder rewriting, and pg prepares the name once per connection.
    async prepared<T>(stmt: Prepared, params: readonly unknown[]): Promise<T[]> {
      const connection = await client.acquireConnection();
      try {
        const res = await connection.query<T>({
          name: stmt.name,
          text: stmt.text,
          values: params as unknown[],
        });
        return res.rows;
      } finally {
        await client.releaseConnection(connection);
      }
    },
  };
}

/** Formats a timestamptz column as RFC 3339 UTC with milliseconds, like Date#toISOString. */
export const isoUtc = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
