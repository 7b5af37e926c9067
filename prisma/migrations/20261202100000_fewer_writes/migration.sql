-- Fewer writes per notification. An UPDATE that changes an indexed column (a status) adds a new
-- entry to every index of the table, and a row is in every full index; an index that holds only
-- the rows that need it gets nothing from the others, nor from a row leaving it. Prisma 6's schema
-- cannot express a partial index (and its diffs do not see one): these are written here only, and
-- the schema declares none of them.

-- Notifications waiting to go out (queued, scheduled, or being fanned out), for the sweep that
-- queues again what lost its job: every other status stays out of it, so the claim that marks a
-- notification dispatched adds nothing here, and a lookup by id cannot be planned as a scan of
-- every notification of a status.
DROP INDEX "notifications_status_idx";
CREATE INDEX "notifications_pending_idx" ON "notifications" ("created_at", "id")
  WHERE "status" IN ('queued', 'scheduled', 'processing');

-- Only notifications with a ttl have an expiry to look up (the sweep), and only keyed ones a key.
DROP INDEX "notifications_expires_at_idx";
CREATE INDEX "notifications_expiring_idx" ON "notifications" ("expires_at") WHERE "expires_at" IS NOT NULL;
DROP INDEX "notifications_app_id_idempotency_key_key";
CREATE UNIQUE INDEX "notifications_idempotency_key_key" ON "notifications" ("app_id", "idempotency_key")
  WHERE "idempotency_key" IS NOT NULL;

-- A cancelled delivery gets its time like the other endings, so that "still pending" (queued or
-- sent) can be said with timestamps alone: no step or ending leaves all four empty.
ALTER TABLE "deliveries" ADD COLUMN "cancelled_at" TIMESTAMP(3);
UPDATE "deliveries" d SET "cancelled_at" = COALESCE(n."cancelled_at", CURRENT_TIMESTAMP)
  FROM "notifications" n WHERE n."id" = d."notification_id" AND d."status" = 'cancelled';

-- Each user's pending deliveries, which catch-up looks for on every connect. No index of the
-- table holds `status` any more: an ack takes its row out of this one and adds nothing to it, and
-- the steps after it (displayed, clicked, read) change no indexed column, so with the room that
-- fillfactor 75 leaves on each page they are heap-only (HOT) updates.
DROP INDEX "deliveries_subscriber_id_status_idx";
CREATE INDEX "deliveries_pending_idx" ON "deliveries" ("subscriber_id", "seq")
  WHERE "delivered_at" IS NULL AND "expired_at" IS NULL AND "failed_at" IS NULL AND "cancelled_at" IS NULL;

-- Every writer of a delivery row inserts it against a notification it inserted in the same
-- statement (an accept) or holds locked in it (a fan-out chunk, FOR SHARE), so this key checked
-- nothing — at the price of a query per row and a lock on the notification row, written to the
-- WAL, per recipient. Notifications are deleted only with their app, which takes the deliveries
-- along through their subscribers (deliveries_subscriber_id_fkey stays). Prisma's schema cannot
-- express a relation without a foreign key: a migration generated from it would add this back.
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_notification_id_fkey";
