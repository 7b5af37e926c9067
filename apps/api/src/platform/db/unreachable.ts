/**
 * Whether an error says the database could not be reached or dropped the connection (rather than
 * refusing a statement): the pg driver's and Prisma's words for it. A request that meets one is a
 * 503 (retry), not a 500 (a bug).
 */
export function databaseUnreachable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    // (Class 08 but a protocol violation, which would be Herald's own fault.)
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || (code.startsWith('08') && code !== '08P01'))) {
      return true;
    }
    if (UNREACHABLE_WORDS.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Prisma's "can't reach", "timed out", "closed the connection"; Node's socket errors; PostgreSQL's
 * "too many connections" (53300), shutting down and "cannot connect now" (class 57P), besides its
 * connection exceptions (class 08).
 */
const UNREACHABLE_CODES = new Set([
  'P1001',
  'P1002',
  'P1008',
  'P1017',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '53300',
  '57P01',
  '57P02',
  '57P03',
]);

/** The same, where only a message says it (a raw query's P2010, the pool's own errors). */
const UNREACHABLE_WORDS =
  /Can't reach database server|Connection terminated|Server has closed the connection|timeout exceeded when trying to connect|too many clients already/i;
