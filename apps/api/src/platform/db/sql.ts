import { createHash } from 'node:crypto';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type pg from 'pg';
import { utcParams, utcParsers } from './utc.js';

/**
 * Plain SQL on the same connections as Prisma, for the few hot-path statements that move many rows
 * at once (accepting a batch, dispatching one, recording acks): they skip Prisma's per-query
 * compilation. Parameters are positional ($1…); arrays map to PostgreSQL arrays. A `Date` goes out
 * as its UTC instant and a `timestamp` comes back as one, whatever the process's time zone (utc.ts).
 */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: SqlOptions): Promise<T[]>;
  /**
   * Runs `work` in one transaction, its statements on `tx`: all of them commit, or none (rolled
   * back when `work` throws). A test's stand-in may leave it out (`work` then runs on it, as is).
   */
  transaction?<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

export interface SqlOptions {
  /**
   * Prepare the statement once per connection and let PostgreSQL reuse its plan. Worth it for a
   * statement run very often whose plan does not depend on its parameters (one user's rows by
   * id); wrong for one whose best plan depends on an array's length (the generic plan of
   * `id = ANY($1)` can be a sequential scan).
   */
  prepare?: boolean;
}

/** `work` in one transaction of `sql` when it has them; on `sql` itself otherwise. */
export function inTransaction<T>(sql: Sql, work: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.transaction ? sql.transaction(work) : work(sql);
}

/** Statements on node-pg: the pool's (any of its connections), or one checked-out client's. */
function onPg(db: pg.Pool | pg.PoolClient): Sql['query'] {
  return async <T>(text: string, params?: unknown[], options?: SqlOptions) =>
    (await db.query({ name: options?.prepare ? statementName(text) : undefined, text, values: utcParams(params) }))
      .rows as T[];
}

/** `Sql` on a node-pg pool; a transaction holds one of its connections until it ends. */
export function pgSql(pool: pg.Pool): Sql {
  return {
    query: onPg(pool),
    async transaction(work) {
      const client = await pool.connect();
      // Checked out, a client has no listener of the pool's: a connection lost now would be an
      // uncaught 'error' event. The query under way (or the next) fails with it instead.
      let lost: Error | undefined;
      const onError = (error: Error) => {
        lost = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work({ query: onPg(client) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: Error) => {
          lost ??= e;
        });
        throw error;
      } finally {
        client.removeListener('error', onError);
        // A connection that failed is not given back to the pool.
        client.release(lost);
      }
    },
  };
}

/** Statements on PGlite (one connection: `prepare` is moot), or on one of its transactions. */
function onPglite(db: PGlite | Transaction): Sql['query'] {
  return async <T>(text: string, params?: unknown[]) =>
    (await db.query<T>(text, utcParams(params), { parsers: utcParsers })).rows;
}

/** `Sql` on PGlite. */
export function pgliteSql(client: PGlite): Sql {
  return {
    query: onPglite(client),
    transaction: (work) => client.transaction((tx) => work({ query: onPglite(tx) })),
  };
}

const statementNames = new Map<string, string>();

/**
 * Statements run with `prepare` are prepared once per connection under a name derived from their
 * text, so PostgreSQL plans them once rather than on every call: for the catch-up sync that every
 * client runs on every connect, planning cost ten times more than running it. (Behind PgBouncer:
 * session pooling, or 1.21+ with `max_prepared_statements` set; see docs/deploy.)
 */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `herald_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}
