import { BROADCAST_STREAM } from '@herald/protocol';

/**
 * Who a topic send or broadcast is for, in SQL. A stream entry `e` (stream_entries) is for the user
 * `s` (subscribers) when one of the user's windows in its stream holds the entry's audience number:
 * for a broadcast, the app knew the user before it was accepted (their window starts after
 * `broadcast_since`); for a topic, the current membership (topic_subscriptions) or one that ended
 * (topic_memberships_ended) — joined before it was accepted, and not left before. Every reader and
 * writer of stream notifications asks this, so the rule is written once.
 */
export const ENTRY_FOR_USER = `(
  (e.stream = '${BROADCAST_STREAM}' AND s.broadcast_since < e.audience_seq)
  OR EXISTS (SELECT 1 FROM topic_subscriptions t
              WHERE t.app_id = e.app_id AND t.topic = e.stream AND t.external_id = s.external_id
                AND t.since_seq < e.audience_seq)
  OR EXISTS (SELECT 1 FROM topic_memberships_ended m
              WHERE m.app_id = e.app_id AND m.external_id = s.external_id AND m.topic = e.stream
                AND m.since_seq < e.audience_seq AND e.audience_seq <= m.until_seq))`;

/**
 * Whether the notification `n` reached (or may reach) the user `s` through a stream: one of its
 * entries is for them, and it is still something to deliver — not cancelled, failed or expired, as
 * a personal delivery cannot take a step out of those endings. (A device that acked it before
 * that has its receipt already, which the reports move forward.)
 */
export const STREAMED_TO_USER = `n.status NOT IN ('cancelled', 'failed', 'expired')
  AND (n.expires_at IS NULL OR n.expires_at > now())
  AND EXISTS (
  SELECT 1 FROM stream_entries e WHERE e.notification_id = n.id AND e.seq IS NOT NULL AND ${ENTRY_FOR_USER})`;
