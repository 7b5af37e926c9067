import { BROADCAST_STREAM } from '@herald/protocol';
import type { NotificationContent } from '@herald/protocol/schema';
import type { Sql } from '../../platform/db/database.js';
import { ENTRY_FOR_USER } from '../audience.js';
import { type CategoryRule, modeNow, notPopupReason, type StoredPreferences } from '../preferences.js';
import type { EndpointPolicy } from './endpoint.js';
import { buildMessage, MAX_PLAINTEXT, pushTopic } from './message.js';
import { signReceipt } from './receipts.js';
import { classify, type PushResponse, type PushTarget, sendPush } from './sender.js';

/** Browsers one `push-check` job posts to; more are left to the next job, which it queues. */
export const PUSH_CHUNK = 500;
/** Attempts per browser and notification before giving up. */
export const MAX_ATTEMPTS = 6;
/** Posts in flight at once per job. */
const PARALLEL = 16;

/** One notification × browser that should get a push (the candidates statement's row). */
interface Candidate {
  notification_id: string;
  app_id: string;
  title: string;
  body: string | null;
  icon: string | null;
  url: string | null;
  tag: string | null;
  data: NotificationContent['data'];
  priority: 'high' | 'normal' | 'low';
  category: string | null;
  created_ms: number;
  expires_ms: number | null;
  stream: string | null;
  subscription_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  public_key: string;
  origin: string | null;
  subscriber_id: string;
  preferences: StoredPreferences;
  jwt_secret: string;
  /** The app's keys as of this statement (read with the rows: a rotation on another node is seen at once). */
  vapid_public_key: string | null;
  vapid_private_key: string | null;
  /** The notification's category's default mode and whether it is required (null without one). */
  category_default: CategoryRule[0] | null;
  category_required: boolean | null;
  attempts: number;
}

export interface PushDeps {
  sql: Sql;
  policy: EndpointPolicy;
  subject: string;
  /** Where service workers post receipts: `${publicUrl}/push/receipts`. */
  receiptsUrl: string;
  /** Notifications older than this pop up in no browser (the popup freshness window). */
  freshnessMs: number;
  /** Queues a later attempt for these browsers of a notification. */
  retryLater(notificationId: string, subscriptionIds: string[], delayMs: number): Promise<void>;
  /** Queues another check of these notifications (more browsers than one job posts to: at once; claims of a job that may have died: later). */
  continueWith(notificationIds: string[], delayMs?: number): Promise<void>;
  onAttempt?: (outcome: string) => void;
  now?: () => number;
}

/**
 * A claim whose job died before posting (the worker was killed between the claim and the post):
 * no attempt, and older than any job holds its lock. The job's retry takes it over.
 */
export const ORPHAN_AFTER_S = 120;
const ORPHAN = (t: string) =>
  `(${t}.status = 'pending' AND ${t}.attempts = '[]'::jsonb AND ${t}.created_at < now() - interval '${ORPHAN_AFTER_S} seconds')`;

const NOT_FOR_PUSH = `('read', 'expired', 'failed', 'cancelled', 'skipped')`;

/**
 * The browsers a push should go to for these notifications, now that the socket window is over
 * (docs/web-push.md "Sending"): each active subscription of a recipient — of a send to users,
 * through their delivery row; of a topic send or broadcast, through the stream's audience rule —
 * that no tab of that browser acknowledged (`push_deliveries` row `socket`) and that was not
 * already tried (any row), for a notification still out (not cancelled, expired or read).
 * `retry` names browsers already tried (a later attempt).
 */
function candidatesSql(retry: boolean): string {
  const fresh = `n.status IN ('processing', 'dispatched') AND (n.expires_at IS NULL OR n.expires_at > now())`;
  const columns = `n.id::text AS notification_id, n.app_id, n.title, n.body, n.icon, n.url, n.tag, n.data,
    n.priority::text AS priority, n.category,
    (extract(epoch FROM n.created_at) * 1000)::float8 AS created_ms,
    (extract(epoch FROM n.expires_at) * 1000)::float8 AS expires_ms,
    ps.id AS subscription_id, ps.endpoint, ps.p256dh, ps.auth, ps.public_key, ps.origin,
    s.id AS subscriber_id, s.preferences, a.jwt_secret,
    a.vapid_public_key, a.vapid_private_key,
    (SELECT c.default_mode FROM categories c WHERE c.app_id = n.app_id AND c.key = n.category) AS category_default,
    (SELECT c.required FROM categories c WHERE c.app_id = n.app_id AND c.key = n.category) AS category_required`;
  if (retry) {
    return `SELECT ${columns}, NULL::text AS stream, jsonb_array_length(pd.attempts)::int AS attempts
      FROM push_deliveries pd
      JOIN notifications n ON n.id = pd.notification_id
      JOIN push_subscriptions ps ON ps.id = pd.subscription_id AND ps.status = 'active'
      JOIN subscribers s ON s.id = ps.subscriber_id
      JOIN apps a ON a.id = n.app_id
      LEFT JOIN deliveries d ON d.notification_id = n.id AND d.subscriber_id = s.id
     WHERE pd.notification_id = $1::uuid AND pd.subscription_id = ANY($2::text[]) AND pd.status = 'pending'
       AND ${fresh} AND (d.status IS NULL OR d.status NOT IN ${NOT_FOR_PUSH})`;
  }
  return `SELECT * FROM (
      SELECT ${columns}, NULL::text AS stream, 0 AS attempts
        FROM notifications n
        JOIN deliveries d ON d.notification_id = n.id AND d.seq IS NOT NULL AND d.status NOT IN ${NOT_FOR_PUSH}
        JOIN push_subscriptions ps ON ps.subscriber_id = d.subscriber_id AND ps.status = 'active'
        JOIN subscribers s ON s.id = d.subscriber_id
        JOIN apps a ON a.id = n.app_id
       WHERE n.id = ANY($1::uuid[]) AND ${fresh}
         AND NOT EXISTS (SELECT 1 FROM push_deliveries pd WHERE pd.notification_id = n.id AND pd.subscription_id = ps.id
                           AND NOT ${ORPHAN('pd')})
      UNION ALL
      SELECT ${columns}, e.stream, 0 AS attempts
        FROM notifications n
        JOIN push_subscriptions ps ON ps.app_id = n.app_id AND ps.status = 'active'
        JOIN subscribers s ON s.id = ps.subscriber_id
        JOIN apps a ON a.id = n.app_id
        -- The first of its topics the user is in (their preferences for that topic apply, as in catch-up).
        JOIN LATERAL (
          SELECT e.stream FROM stream_entries e
           WHERE e.notification_id = n.id AND e.seq IS NOT NULL AND ${ENTRY_FOR_USER}
           ORDER BY e.rank LIMIT 1
        ) e ON true
        LEFT JOIN deliveries d ON d.notification_id = n.id AND d.subscriber_id = s.id
       WHERE n.id = ANY($1::uuid[]) AND ${fresh}
         AND (d.status IS NULL OR d.status NOT IN ${NOT_FOR_PUSH})
         AND NOT EXISTS (SELECT 1 FROM push_deliveries pd WHERE pd.notification_id = n.id AND pd.subscription_id = ps.id
                           AND NOT ${ORPHAN('pd')})
    ) c LIMIT ${PUSH_CHUNK}`;
}

/**
 * The `push-check` job: after the socket window, posts each notification to the browsers that
 * should get it, one row per browser (claimed first, so a retried job or a second worker never
 * posts twice), each attempt's outcome appended to it. Returns how many posts were made.
 */
export async function pushNotifications(notificationIds: string[], deps: PushDeps): Promise<number> {
  const rows = await deps.sql.query<Candidate>(candidatesSql(false), [notificationIds]);
  if (rows.length === 0) {
    await checkClaimsLater(notificationIds, deps);
    return 0;
  }
  // Claim them: a browser gets one row per notification, whoever writes it first posts.
  const claimed = await deps.sql.query<{ notification_id: string; subscription_id: string }>(
    `INSERT INTO push_deliveries (notification_id, subscription_id, app_id, subscriber_id, status)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS x(n, s, a, u), LATERAL (SELECT 'pending') p
     ON CONFLICT (notification_id, subscription_id) DO UPDATE SET created_at = now()
       WHERE ${ORPHAN('push_deliveries')}
     RETURNING notification_id::text, subscription_id`,
    [
      rows.map((r) => r.notification_id),
      rows.map((r) => r.subscription_id),
      rows.map((r) => r.app_id),
      rows.map((r) => r.subscriber_id),
    ],
  );
  const mine = new Set(claimed.map((c) => `${c.notification_id}/${c.subscription_id}`));
  // More browsers than one job posts to: the next job starts now (on another of the worker's
  // slots, or another worker), beside this one; this chunk is claimed, so it will not take it.
  if (rows.length >= PUSH_CHUNK) await deps.continueWith(notificationIds);
  const posts = await postAll(
    rows.filter((r) => mine.has(`${r.notification_id}/${r.subscription_id}`)),
    deps,
  );
  if (rows.length < PUSH_CHUNK && mine.size < rows.length) await checkClaimsLater(notificationIds, deps);
  return posts;
}

/**
 * Browsers another job claimed and has not posted to yet: it may be posting right now, or it died
 * (its worker was killed). Look again once such a claim would count as orphaned, and take it over then.
 */
async function checkClaimsLater(notificationIds: string[], deps: PushDeps): Promise<void> {
  const [claimed] = await deps.sql.query(
    `SELECT 1 FROM push_deliveries WHERE notification_id = ANY($1::uuid[])
        AND status = 'pending' AND attempts = '[]'::jsonb LIMIT 1`,
    [notificationIds],
  );
  if (claimed) await deps.continueWith(notificationIds, (ORPHAN_AFTER_S + 5) * 1000);
}

/** A later attempt for browsers whose earlier one asked to wait (429, 5xx, no answer). */
export async function retryPushes(notificationId: string, subscriptionIds: string[], deps: PushDeps): Promise<number> {
  const rows = await deps.sql.query<Candidate>(candidatesSql(true), [notificationId, subscriptionIds]);
  return postAll(rows, deps);
}

async function postAll(rows: Candidate[], deps: PushDeps): Promise<number> {
  const now = deps.now?.() ?? Date.now();
  const waiting = [...rows];
  let posts = 0;
  const later = new Map<string, { ids: string[]; delayMs: number }>();
  const run = async () => {
    for (let r = waiting.shift(); r; r = waiting.shift()) {
      const result = await postOne(r, deps, now);
      if (result.posted) posts++;
      if (result.retryInMs !== undefined) {
        const entry = later.get(r.notification_id) ?? { ids: [], delayMs: 0 };
        entry.ids.push(r.subscription_id);
        entry.delayMs = Math.max(entry.delayMs, result.retryInMs);
        later.set(r.notification_id, entry);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, rows.length) }, run));
  for (const [notificationId, { ids, delayMs }] of later) await deps.retryLater(notificationId, ids, delayMs);
  return posts;
}

/** Backoff before attempt `n + 1` (n ≥ 1): 2 s, 4 s, 8 s… capped at 5 minutes, ±25 %. */
export function backoffMs(attempts: number): number {
  const base = Math.min(300_000, 1000 * 2 ** attempts);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

interface Attempt {
  at: string;
  status: number;
  outcome: string;
  detail?: string;
}

/** What an attempt changes about the browser's subscription, written in the same statement as the attempt. */
type SubscriptionChange = 'success' | 'gone' | { resubscribe: string } | { error: string };

/**
 * Appends an attempt to the browser's row (and, when `trimmed` says what was cut, marks it sent),
 * and applies what the attempt says about the subscription: one statement, one round trip.
 */
function record(
  deps: PushDeps,
  r: Candidate,
  status: string,
  attempt: Attempt,
  trimmed?: string[],
  change?: SubscriptionChange,
) {
  const params: unknown[] = [r.notification_id, r.subscription_id, status, JSON.stringify([attempt]), trimmed ?? null];
  const attemptSql = `UPDATE push_deliveries SET status = $3, attempts = attempts || $4::jsonb,
      sent_at = CASE WHEN $5::text[] IS NULL THEN sent_at ELSE now() END, trimmed = COALESCE($5::text[], trimmed)
    WHERE notification_id = $1::uuid AND subscription_id = $2`;
  if (!change) return deps.sql.query(attemptSql, params);
  let subscriptionSql: string;
  if (change === 'success') {
    subscriptionSql = 'UPDATE push_subscriptions SET last_success_at = now(), last_error = NULL WHERE id = $2';
  } else if (change === 'gone') {
    subscriptionSql = 'DELETE FROM push_subscriptions WHERE id = $2';
  } else if ('resubscribe' in change) {
    params.push(change.resubscribe);
    subscriptionSql = `UPDATE push_subscriptions SET status = 'resubscribe', last_error = $6, updated_at = now() WHERE id = $2`;
  } else {
    params.push(change.error);
    subscriptionSql = 'UPDATE push_subscriptions SET last_error = $6 WHERE id = $2';
  }
  return deps.sql.query(`WITH attempt AS (${attemptSql} RETURNING 1) ${subscriptionSql}`, params);
}

async function postOne(r: Candidate, deps: PushDeps, now: number): Promise<{ posted: boolean; retryInMs?: number }> {
  const at = new Date(now).toISOString();
  // Preferences and freshness at the time of the push: a push is a popup.
  const rule: CategoryRule | undefined = r.category_default
    ? [r.category_default, r.category_required === true]
    : undefined;
  const stream = r.stream === BROADCAST_STREAM ? null : r.stream;
  const mode = modeNow(r.preferences, r.category, rule, stream, now);
  const age = now - Number(r.created_ms);
  const left = Math.min(
    Math.floor((deps.freshnessMs - age) / 1000),
    r.expires_ms === null ? Number.POSITIVE_INFINITY : Math.floor((Number(r.expires_ms) - now) / 1000),
  );
  if (mode !== 'popup' || left <= 0) {
    const why = mode !== 'popup' ? notPopupReason(r.preferences, r.category, rule, stream) : 'too old to pop up';
    await record(deps, r, 'skipped', { at, status: 0, outcome: 'skipped', detail: why });
    deps.onAttempt?.('skipped');
    return { posted: false };
  }
  if (!r.vapid_public_key || !r.vapid_private_key) return { posted: false };
  const vapid = { publicKey: r.vapid_public_key, privateKey: r.vapid_private_key };
  const expiresAt = r.expires_ms === null ? null : new Date(Number(r.expires_ms));
  const receipt = signReceipt({ n: r.notification_id, s: r.subscription_id, a: r.app_id }, r.jwt_secret, expiresAt);
  const source = { ...r, id: r.notification_id, createdAt: new Date(Number(r.created_ms)) };
  const target: PushTarget = { endpoint: r.endpoint, keys: { p256dh: r.p256dh, auth: r.auth } };
  const opts = {
    vapid,
    subject: deps.subject,
    ttlSeconds: Math.min(left, 28 * 24 * 3600),
    urgency: r.priority === 'high' ? ('high' as const) : r.priority === 'low' ? ('low' as const) : ('normal' as const),
    topic: pushTopic(r.tag),
  };
  let message = buildMessage(source, { origin: r.origin, receipt, receipts: deps.receiptsUrl });
  let res: PushResponse;
  try {
    res = await sendPush(target, message.body, opts, deps.policy);
  } catch (error) {
    // Keys web-push cannot encrypt for (registered before they were checked): this browser fails, not the job.
    await record(deps, r, 'failed', {
      at,
      status: 0,
      outcome: 'failed',
      detail: String((error as Error).message).slice(0, 200),
    });
    deps.onAttempt?.('failed');
    return { posted: false };
  }
  // Its host is cooling down: tried again once it may be, and the attempt does not count.
  if (res.deferred) return { posted: false, retryInMs: res.retryAfterMs ?? 60_000 };
  let outcome = classify(res, r.public_key !== vapid.publicKey);
  if (outcome.outcome === 'too-big') {
    // The push service's limit is smaller than the RFC's: cut to half and try once more.
    await record(deps, r, 'pending', {
      at,
      status: res.status,
      outcome: 'too-big',
      ...(res.detail ? { detail: res.detail } : {}),
    });
    message = buildMessage(source, { origin: r.origin, receipt, receipts: deps.receiptsUrl }, MAX_PLAINTEXT / 2);
    res = await sendPush(target, message.body, opts, deps.policy).catch((error: Error) => ({
      status: 0,
      refused: true,
      detail: error.message,
    }));
    outcome = classify(res, r.public_key !== vapid.publicKey);
  }
  const attempt: Attempt = {
    at,
    status: res.status,
    outcome: outcome.outcome,
    ...(res.detail && outcome.outcome !== 'sent' ? { detail: res.detail.slice(0, 200) } : {}),
  };
  deps.onAttempt?.(outcome.outcome);
  switch (outcome.outcome) {
    case 'sent':
      await record(deps, r, 'sent', attempt, message.trimmed, 'success');
      return { posted: true };
    case 'gone':
      await record(deps, r, 'gone', attempt, undefined, 'gone');
      return { posted: true };
    case 'resubscribe':
      await record(deps, r, 'resubscribe', attempt, undefined, { resubscribe: `HTTP ${res.status}` });
      return { posted: true };
    case 'retry': {
      const tries = r.attempts + 1;
      if (tries >= MAX_ATTEMPTS) {
        await record(deps, r, 'failed', { ...attempt, outcome: 'failed' });
        return { posted: true };
      }
      await record(deps, r, 'pending', attempt);
      return { posted: true, retryInMs: Math.max(outcome.afterMs ?? 0, backoffMs(tries)) };
    }
    default:
      await record(deps, r, 'failed', attempt, undefined, {
        error: `HTTP ${res.status}${res.detail ? `: ${res.detail.slice(0, 200)}` : ''}`,
      });
      return { posted: res.status !== 0 };
  }
}
