import type { NOTIFICATION_STATUSES } from '@herald/protocol';
import type { paths } from '../generated/api-schema.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;
/**
 * The JSON a successful `method` on `path` answers, from the API's OpenAPI document (generated
 * types: the dashboard never re-types the API by hand).
 */
export type Ok<P extends keyof paths, M extends Method = 'get'> = paths[P][M] extends { responses: infer R }
  ? Json<R[keyof R & (200 | 201 | 202)]>
  : never;

/** The JSON body `method` on `path` takes, from the same document. */
export type Body<P extends keyof paths, M extends Method> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** The dashboard's HTTP client: same-origin JSON with the session cookie; errors carry Herald's code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The signed-in admin. */
export type Me = Omit<Extract<Ok<'/admin/api/session'>, { signedIn: true }>, 'signedIn'>;
export type Role = Me['role'];

export class Api {
  constructor(private readonly base = '') {}

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    headers: Record<string, string> = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'HERALD_ERR_NETWORK', 'Herald cannot be reached; check your connection.');
    }
    const text = await res.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      throw new ApiError(
        res.status,
        data?.code ?? 'HERALD_ERR_HTTP',
        data?.message ?? `Request failed (${res.status}).`,
      );
    }
    return data as T;
  }

  get<T>(path: string, signal?: AbortSignal) {
    return this.request<T>('GET', path, undefined, signal);
  }
  post<T>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body);
  }
  put<T>(path: string, body: unknown) {
    return this.request<T>('PUT', path, body);
  }
  /** A PUT (or PATCH) that only creates (`If-None-Match: *`): one that exists is refused with 412, unchanged. */
  create<T>(path: string, body: unknown, method: 'PUT' | 'PATCH' = 'PUT') {
    return this.request<T>(method, path, body, undefined, { 'if-none-match': '*' });
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** `?a=1&b=x` from an object, skipping empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** `1 subscriber`, `2 subscribers`, `1,500 users`: a count and its noun, singular or plural. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
}

/** "12s ago", "3 min ago", "in 5 min" (a time still ahead: a scheduled send), or the date when over a day away. */
export function timeAgo(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ahead = Date.parse(iso) - Date.now();
  const s = Math.round(Math.abs(ahead) / 1000);
  const span = s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
  if (s >= 86400) return new Date(iso).toLocaleString();
  return ahead > 1000 ? `in ${span}` : `${span} ago`;
}

/** What a notification's own status says (the send's, not a recipient's): a status pill's tooltip. */
export const STATUS_MEANING: Record<(typeof NOTIFICATION_STATUSES)[number], string> = {
  scheduled: 'Waiting for its send time',
  queued: 'Waiting for a worker',
  processing: 'Being sent',
  dispatched: "Went out to every recipient's open devices: who had it is in its counts",
  cancelled: 'Cancelled before it reached everyone',
  failed: 'Failed after its last attempt',
  expired: 'Its time to live ran out before it went out',
};

/** An app as a drop-down lists it: its name cut to a width a form can hold, and its id. */
export function appOption(app: { id: string; name: string }): string {
  const name = app.name.length > 40 ? `${app.name.slice(0, 39)}…` : app.name;
  return `${name} (${app.id})`;
}

/** Whom a send was for, as the notification's `to` says it. */
export function describeTarget(t: {
  broadcast?: boolean;
  userId?: string;
  userIds?: string[];
  topic?: string;
  topics?: string[];
}): string {
  if (t.broadcast) return 'everyone';
  if (t.userId !== undefined) return t.userId;
  if (t.topic !== undefined) return `topic ${t.topic}`;
  if (t.topics) return `${t.topics.length === 1 ? 'topic' : 'topics'} ${t.topics.join(', ')}`;
  return `${t.userIds?.length ?? 0} users`;
}
