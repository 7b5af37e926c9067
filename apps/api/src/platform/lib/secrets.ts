import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { Errors } from './errors.js';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** A URL-safe random string with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export const API_KEY_PREFIX = 'hk_';

/** A new API key: `hk_` + 32 random bytes. Only its hash is stored. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomToken(32);
}

/** API keys carry 256 bits of entropy, so a plain SHA-256 is the right lookup hash. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The part of a key shown to operators to tell keys apart. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, 10);
}

// scrypt is memory-hard: N=2^15, r=8 costs 32 MiB per hash.
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * scrypt runs on libuv's thread pool (4 threads), which static files, DNS lookups and zlib share:
 * at most SCRYPT_AT_ONCE hashes run at once per process, and past SCRYPT_WAITING waiting a new one
 * is refused (503) instead of queueing. A flood of sign-ins from many addresses, each under its
 * limit, then slows sign-in alone, not `sdk.js` or the dashboard's files.
 */
const SCRYPT_AT_ONCE = 2;
export const SCRYPT_WAITING = 16;
const scryptSlots = pLimit(SCRYPT_AT_ONCE);

function scryptInTurn(...args: Parameters<typeof scryptAsync>): Promise<Buffer> {
  if (scryptSlots.pendingCount >= SCRYPT_WAITING) {
    return Promise.reject(Object.assign(new Errors.PasswordChecksBusy(), { retryAfterSeconds: 2 }));
  }
  return scryptSlots(() => scryptAsync(...args));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptInTurn(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptInTurn(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}
