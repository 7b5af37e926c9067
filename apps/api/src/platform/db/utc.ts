import pg from 'pg';

/**
 * Every time column is `timestamp` (without time zone) and holds UTC, as Prisma writes and reads
 * it, and each connection's TimeZone is UTC. Raw SQL (`Sql`) must agree whatever the process's own
 * time zone (`TZ`): node-pg sends a `Date` as local time with an offset, which a `timestamp`
 * drops, and both drivers read a `timestamp` back as local time. So a `Date` goes out as its ISO
 * instant (`utcParams`) and a `timestamp` comes back as UTC (`utcParsers`).
 */
export const TIMESTAMP_OID = 1114;
export const TIMESTAMP_ARRAY_OID = 1115;

/** pg's parser of `timestamptz`, which honours the offset it is given. */
const parseTimestamptz = pg.types.getTypeParser(1184) as (text: string) => Date | number;

/** A `timestamp`'s text (`2026-07-01 12:00:00.123`, `… BC`, `infinity`) read as UTC. */
export function parseUtcTimestamp(text: string): Date | number {
  if (text === 'infinity' || text === '-infinity') return parseTimestamptz(text);
  return text.endsWith(' BC') ? parseTimestamptz(`${text.slice(0, -3)}+00 BC`) : parseTimestamptz(`${text}+00`);
}

/** A one-dimensional `timestamp[]` (`{"2026-07-01 12:00:00",NULL}`: no element holds a comma or a quote). */
function parseUtcTimestampArray(text: string): Array<Date | number | null> {
  const inner = text.slice(1, -1);
  if (inner === '') return [];
  return inner.split(',').map((e) => (e === 'NULL' ? null : parseUtcTimestamp(e.replace(/^"|"$/g, ''))));
}

/** Result parsers by type OID: `timestamp` and `timestamp[]` as UTC. */
export const utcParsers: Record<number, (text: string) => unknown> = {
  [TIMESTAMP_OID]: parseUtcTimestamp,
  [TIMESTAMP_ARRAY_OID]: parseUtcTimestampArray,
};

/** node-pg's `types` for a pool: `utcParsers`, and the driver's own for everything else. */
export const utcTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const parser = format !== 'binary' ? utcParsers[oid] : undefined;
    return parser ?? pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** A `Date` as its ISO instant (`…Z`), also inside arrays; anything else as it is. */
function utcParam(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && value.some((v) => v instanceof Date || Array.isArray(v))) return value.map(utcParam);
  return value;
}

/** Query parameters with every `Date` sent as the instant it is (the parameters as given when none is). */
export function utcParams(params: unknown[] | undefined): unknown[] | undefined {
  if (!params?.some((v) => v instanceof Date || Array.isArray(v))) return params;
  return params.map(utcParam);
}
