import { ClientEvent } from '@herald/protocol';
import { peekClaims } from './storage.js';
import type { Emit, Request, TokenSource } from './types.js';

/** Token refreshes: at least this far apart; setTimeout's ceiling (a signed 32-bit delay). */
const MIN_REFRESH_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When to swap in a fresh token: shortly before `exp` by the server's clock (this device's may be
 * off by hours, `skewMs`). Never sooner than 1 s from now, so a token that is already stale cannot
 * start a tight refresh loop; never later than a timer can wait.
 */
export function refreshDelay(exp: number, skewMs: number, now = Date.now()): number {
  const left = exp * 1000 - (now - skewMs);
  const margin = Math.min(60_000, left * 0.2);
  return Math.min(MAX_TIMER_MS, Math.max(MIN_REFRESH_MS, left - margin));
}

/**
 * The page's token source: a token for every handshake (a function is asked each time, so tokens
 * can be refreshed), and, with a function, a fresh token swapped in over the open socket before the
 * current one expires.
 */
export class Tokens {
  /** Why the token source failed on the last attempt (the server then sees no token). */
  problem: string | undefined;
  private _exp: number | undefined;
  /** This device's clock minus the server's. */
  private _skewMs = 0;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private readonly _source: TokenSource;
  /** `auth:refresh` over the open socket. */
  private readonly _request: Request;
  /** Reports `refreshed` and `error`. */
  private readonly _emit: Emit;

  constructor(source: TokenSource, request: Request, emit: Emit) {
    this._source = source;
    this._request = request;
    this._emit = emit;
  }

  /** Whether a new token can be had: a refusal a new token would fix is then worth retrying. */
  get refreshable(): boolean {
    return typeof this._source === 'function';
  }

  /** A token for the next handshake; a failure is reported, kept as `problem`, and rejects. */
  async next(): Promise<string> {
    this.problem = undefined;
    try {
      const token = await this._get();
      if (typeof token !== 'string' || !/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) {
        const shown = String(token).replace(/\s+/g, ' ').slice(0, 60);
        throw new Error(`The token function returned something that is not a JWT: "${shown}".`);
      }
      this._exp = peekClaims(token).exp;
      return token;
    } catch (error) {
      this.problem = (error as Error)?.message ?? String(error);
      this._emit('error', Object.assign(toError(error), { code: 'HERALD_ERR_TOKEN_SOURCE' }));
      throw error;
    }
  }

  /** The server's clock (from `synced`): refreshes are timed by it. */
  clock(serverNow: number): void {
    this._skewMs = Date.now() - serverNow;
    this.schedule();
  }

  /** With a token function, (re)schedules the swap before the current token expires. */
  schedule(): void {
    clearTimeout(this._timer);
    if (!this.refreshable || !this._exp) return;
    this._timer = setTimeout(() => void this._refresh(), refreshDelay(this._exp, this._skewMs));
  }

  cancel(): void {
    this._cancels++;
    clearTimeout(this._timer);
  }

  /** Counts `cancel`s: a refresh under way when the socket closed schedules nothing after it. */
  private _cancels = 0;

  private async _get(): Promise<string> {
    const source = this._source;
    return typeof source === 'function' ? await source() : source;
  }

  private async _refresh(): Promise<void> {
    const cancels = this._cancels;
    try {
      const token = await this._get();
      const { exp } = await this._request<{ ok: true; exp: number }>(ClientEvent.AuthRefresh, { token });
      this._exp = exp;
      this._emit('refreshed', { exp });
      if (cancels === this._cancels) this.schedule();
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'HERALD_ERR_TOKEN_REFRESH';
      this._emit('error', Object.assign(error as Error, { code }));
      // Again while the token lasts, at 80% of what is left of it each time (the token source or
      // the server may be back): a refresh spares a reconnect. Failing to the end, the server
      // closes the socket at expiry, and the reconnect fetches a token again.
      const left = (this._exp ?? 0) * 1000 - (Date.now() - this._skewMs);
      if (cancels === this._cancels && left > 0) this.schedule();
    }
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
