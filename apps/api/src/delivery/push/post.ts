import { BROADCAST_STREAM } from '@herald/protocol';
import type { NotificationContent } from '@herald/protocol/schema';
import type { Sql } from '../../platform/db/database.js';
import { type CategoryRule, modeNow, notPopupReason, type StoredPreferences } from '../preferences.js';
import type { EndpointPolicy } from './endpoint.js';
import { buildMessage, MAX_PLAINTEXT, pushTopic } from './message.js';
import { signReceipt } from './receipts.js';
import { classify, type PushResponse, type PushTarget, sendPush } from './sender.js';

/** Attempts per browser and notification before giving up. */
export const MAX_ATTEMPTS = 6;
/** One notification × browser that should get a push (the candidates statement's row). */
export interface Candidate {
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

export async function postOne(
  r: Candidate,
  deps: PushDeps,
  now: number,
): Promise<{ posted: boolean; retryInMs?: number }> {
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
