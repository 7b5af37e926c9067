-- DropIndex
DROP INDEX "deliveries_notification_id_status_idx";

-- DropIndex
DROP INDEX "deliveries_subscriber_id_status_idx";

-- Room on each page for the status updates that acks make, so they stay heap-only (HOT).
-- Prisma's schema cannot express storage parameters; its diffs leave them alone.
ALTER TABLE "deliveries" SET (fillfactor = 75);

-- Every accept bumps a subscriber's last_seq and every connect its last_seen_at; neither is
-- indexed, so with room on the page those updates are heap-only too.
ALTER TABLE "subscribers" SET (fillfactor = 80);
