-- DropIndex
DROP INDEX "deliveries_notification_id_status_idx";

-- DropIndex
DROP INDEX "deliveries_subscriber_id_status_idx";

-- Acks update every row two or three times (delivered, displayed, clicked/read): room on each page
-- keeps the new versions next to the old ones. Prisma's schema cannot express storage parameters;
-- its diffs leave them alone.
ALTER TABLE "deliveries" SET (fillfactor = 75);

-- Every accept bumps a subscriber's last_seq and every connect its last_seen_at; neither is
-- indexed, so with room on the page those updates are heap-only too.
ALTER TABLE "subscribers" SET (fillfactor = 80);

-- Catch-up (every connect) looks for a user's rows still pending: queued or sent. A partial index
-- holds only those, so it stays small, and an ack (its row leaving the predicate) adds nothing to
-- it. (Prisma's schema cannot express a partial index; its diffs leave this one alone.)
CREATE INDEX "deliveries_pending_idx" ON "deliveries" ("subscriber_id", "seq") WHERE "status" IN ('queued', 'sent');
