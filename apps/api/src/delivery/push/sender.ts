import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import webPush from 'web-push';
import { type EndpointPolicy, endpointShapeProblem, guardedLookup } from './endpoint.js';
import type { VapidKeys } from './keys.js';

/** One browser's subscription, as `web-push` takes it. */
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface PushOptions {
  vapid: VapidKeys;
  subject: string;
  /** Seconds the push service keeps it for an offline browser (RFC 8030 §5.2). */
  ttlSeconds: number;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
  /** Replaces an undelivered message with the same topic (RFC 8030 §5.4). */
  topic?: string;
  timeoutMs?: number;
}

/** What the push service answered: its status (0 when there was no answer), `Retry-After` in ms, and a short reason. */
export interface PushResponse {
  status: number;
  /** Never sent: the endpoint is not one Herald may post to (its address, its scheme). */
  refused?: boolean;
  /** Not sent now: its host is cooling down (`retryAfterMs`); no attempt was made. */
  deferred?: boolean;
  retryAfterMs?: number;
  detail?: string;
}

/** The most one post may take, from connecting to the push service's answer. */
export const POST_DEADLINE_MS = 10_000;

/**
 * A push service host whose posts ran out their deadline STRIKES times in a row is not posted to
 * for COOL_MS (those posts are retried later, as for no answer): a host that never answers, or one
 * made to trickle, costs a few deadlines a minute, not one per browser registered there.
 */
const STRIKES = 3;
const COOL_MS = 60_000;
const slowHosts = new Map<string, { strikes: number; until: number }>();

function coolingUntil(host: string, now: number): number | undefined {
  const entry = slowHosts.get(host);
  return entry && entry.until > now ? entry.until : undefined;
}

function noteDeadline(host: string, missed: boolean, now: number): void {
  if (!missed) {
    slowHosts.delete(host);
    return;
  }
  if (slowHosts.size >= 10_000) slowHosts.clear();
  const entry = slowHosts.get(host) ?? { strikes: 0, until: 0 };
  entry.strikes++;
  if (entry.strikes >= STRIKES) entry.until = now + COOL_MS;
  slowHosts.set(host, entry);
}

/** Forgets every host's strikes (tests). */
export function forgetSlowHosts(): void {
  slowHosts.clear();
}

/** How long a VAPID JWT is valid (RFC 8292 allows at most 24 hours), and how long one is reused. */
const VAPID_VALID_S = 12 * 3600;
const VAPID_REUSE_MS = 11 * 3600 * 1000;
/** VAPID headers by app key, push service and subject: a broadcast signs one JWT per push service, not one per push. */
const vapidHeaders = new Map<string, { authorization: string; until: number }>();

/** The `Authorization` header for posts to `endpoint`'s push service, signed at most once an hour per key and service. */
export function vapidAuthorization(endpoint: string, vapid: VapidKeys, subject: string, now = Date.now()): string {
  const audience = new URL(endpoint).origin;
  const key = `${vapid.publicKey} ${audience} ${subject}`;
  const hit = vapidHeaders.get(key);
  if (hit && hit.until > now) return hit.authorization;
  const expiration = Math.floor(now / 1000) + VAPID_VALID_S;
  const { Authorization } = webPush.getVapidHeaders(
    audience,
    subject,
    vapid.publicKey,
    vapid.privateKey,
    'aes128gcm',
    expiration,
  ) as { Authorization: string };
  // Keys rotate and apps come and go: a bounded map, dropped whole when full.
  if (vapidHeaders.size >= 1000) vapidHeaders.clear();
  vapidHeaders.set(key, { authorization: Authorization, until: now + VAPID_REUSE_MS });
  return Authorization;
}

/**
 * Encrypts and posts one push (RFC 8291 `aes128gcm`, a VAPID JWT valid 12 hours and reused for up
 * to 11 of them, RFC 8292).
 * `web-push` makes the request (`generateRequestDetails`); Herald sends it itself, through a DNS
 * lookup that refuses non-public addresses (endpoint.ts), with a timeout, and over http only when
 * the policy allows it (a local test push service).
 */
export async function sendPush(target: PushTarget, payload: string, opts: PushOptions, policy: EndpointPolicy) {
  // Checked again at every post, as the policy may have changed since the browser registered
  // (a host no longer listed, private addresses no longer allowed). A name is checked once more
  // at the connection (`guardedLookup`); an address, which is not looked up, only here.
  const problem = endpointShapeProblem(target.endpoint, policy);
  if (problem) return { status: 0, refused: true, detail: problem } satisfies PushResponse;
  // Checked before anything is encrypted: a cooling host's browsers cost no work until it may be tried.
  const { host: hostPort } = new URL(target.endpoint);
  const cooling = coolingUntil(hostPort, Date.now());
  if (cooling !== undefined) {
    return {
      status: 0,
      deferred: true,
      detail: `${hostPort} did not answer in time ${STRIKES} times running: not posted to before ${new Date(cooling).toISOString()}`,
      retryAfterMs: cooling - Date.now(),
    } satisfies PushResponse;
  }
  const details = webPush.generateRequestDetails(target, payload, {
    headers: { Authorization: vapidAuthorization(target.endpoint, opts.vapid, opts.subject) },
    TTL: opts.ttlSeconds,
    urgency: opts.urgency,
    ...(opts.topic ? { topic: opts.topic } : {}),
    contentEncoding: 'aes128gcm',
  });
  const url = new URL(details.endpoint);
  const send =
    url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' && policy.allowPrivate ? httpRequest : null;
  if (!send) return { status: 0, refused: true, detail: `a ${url.protocol} endpoint` } satisfies PushResponse;
  const deadlineMs = opts.timeoutMs ?? POST_DEADLINE_MS;
  return new Promise<PushResponse>((resolve) => {
    let settled = false;
    /** Once the push service answered: its status and the reason read so far, for the deadline to report. */
    let answered: (() => void) | undefined;
    let missedDeadline = false;
    const settle = (response: PushResponse) => {
      if (settled) return;
      settled = true;
      // Only an answer (any status) or a deadline says anything about the host's speed.
      if (response.status > 0 || missedDeadline) noteDeadline(url.host, missedDeadline, Date.now());
      resolve(response);
    };
    const req = send(
      url,
      {
        method: details.method,
        headers: details.headers as Record<string, string | number>,
        lookup: guardedLookup(policy),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const retryAfterMs = retryAfter(res.headers['retry-after']);
        const answer = (detail: string) =>
          settle({
            status,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
            ...(detail ? { detail: detail.slice(0, 300) } : {}),
          });
        let text = '';
        answered = () => answer(text);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 300) text += chunk;
          if (text.length >= 300) answer(text);
        });
        res.on('end', () => answer(text));
        res.on('error', () => answer(text));
        // Accepted: the status is all there is to know (the body is drained for the connection's reuse).
        if (status >= 200 && status < 300) answer('');
      },
    );
    // One deadline for the whole exchange (connection, answer, body), not an idle timeout: a push
    // service that trickles bytes holds neither this post nor its job for longer; its connection
    // is closed then.
    const deadline = setTimeout(() => {
      missedDeadline = true;
      if (answered) answered();
      else settle({ status: 0, detail: `the push service did not answer within ${deadlineMs / 1000} s` });
      req.destroy();
    }, deadlineMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (error: NodeJS.ErrnoException) =>
      settle({ status: 0, detail: error.message, ...(error.code === 'EPRIVATE' ? { refused: true } : {}) }),
    );
    req.end(details.body ?? undefined);
  });
}

/** `Retry-After` (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function retryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What to do after an attempt (docs/web-push.md "Sending"). */
export type PushOutcome =
  | { outcome: 'sent' }
  | { outcome: 'gone' }
  | { outcome: 'too-big' }
  | { outcome: 'retry'; afterMs?: number }
  | { outcome: 'resubscribe' }
  | { outcome: 'failed' };

/**
 * The push service's answer, classified: 201 (or any 2xx) sent; 404/410 the subscription is gone;
 * 413 too big; 429 later, after `Retry-After`; 5xx or no answer later, with backoff; 401/403 (the
 * push service does not take this key's JWT for it: a rotation), or 400 for a subscription made
 * with another key than the one signing → it must subscribe again; any other 4xx, or an endpoint
 * Herald may not post to, failed.
 */
export function classify(res: PushResponse, keyMismatch: boolean): PushOutcome {
  const { status } = res;
  if (res.refused) return { outcome: 'failed' };
  if (status >= 200 && status < 300) return { outcome: 'sent' };
  if (status === 404 || status === 410) return { outcome: 'gone' };
  if (status === 413) return { outcome: 'too-big' };
  if (status === 429)
    return { outcome: 'retry', ...(res.retryAfterMs !== undefined ? { afterMs: res.retryAfterMs } : {}) };
  if (status === 0 || status >= 500) return { outcome: 'retry' };
  if (status === 401 || status === 403 || (status === 400 && keyMismatch)) return { outcome: 'resubscribe' };
  return { outcome: 'failed' };
}
