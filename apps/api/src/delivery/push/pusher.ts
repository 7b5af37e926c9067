import { ENTRY_FOR_USER } from '../audience.js';
import { TOPIC_CHOICE } from '../preferences.js';
import { type Candidate, type PushDeps, postOne } from './post.js';

/** Browsers one `push-check` job posts to; more are left to the next job, which it queues. */
export const PUSH_CHUNK = 500;
/** Posts in flight at once per job. */
const PARALLEL = 16;

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
        -- The one of its topics the user is in that they let through most, the first listed among
        -- equals (their preferences for that topic apply, as in catch-up and live).
        JOIN LATERAL (
          SELECT e.stream FROM stream_entries e
           WHERE e.notification_id = n.id AND e.seq IS NOT NULL AND ${ENTRY_FOR_USER}
           ORDER BY ${TOPIC_CHOICE('s.preferences', 'e.stream')} DESC, e.rank LIMIT 1
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
