import pg from 'pg';

/**
 * PostgreSQL's `name` type (OID 19), as returned by catalog queries.
 *
 * Prisma 6.19's WebAssembly schema engine cannot deserialize it when migrations run through
 * `@prisma/adapter-pg` ("Column type 'name' could not be deserialized from the database",
 * https://github.com/prisma/orm/issues/27403). `name` is a fixed-length text type, so
 * reporting it as `text` (OID 25) is lossless.
 */
export const NAME_OID = 19;
export const TEXT_OID = 25;

type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };

function patchFields<T>(result: T): T {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results as QueryResultLike[]) {
    for (const field of r?.fields ?? []) {
      if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

type AnyQuery = (...args: unknown[]) => unknown;

/** Wraps a `query` method (promise or callback form) so that `name` columns read as `text`. */
export function wrapQuery(query: AnyQuery): AnyQuery {
  return function patchedQuery(this: unknown, ...args: unknown[]) {
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => last(err, err ? res : patchFields(res));
      return query.apply(this, args);
    }
    const out = query.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      return (out as Promise<unknown>).then(patchFields);
    }
    return out;
  };
}

const patched = Symbol('herald.namePatched');

/**
 * A `pg.Pool` whose clients report `name` columns as `text`, for Prisma Migrate over
 * `@prisma/adapter-pg`. Harmless for the application's own queries, which never select `name`.
 */
export class NameTypePool extends pg.Pool {
  constructor(config?: pg.PoolConfig) {
    super(config);
    this.on('connect', (client) => {
      const c = client as pg.PoolClient & { [patched]?: true };
      if (c[patched]) return;
      c[patched] = true;
      c.query = wrapQuery(c.query.bind(c) as AnyQuery) as typeof c.query;
    });
  }
}
