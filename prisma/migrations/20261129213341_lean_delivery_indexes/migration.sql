-- DropIndex
-- Lookups by notification use the primary key's prefix (notification_id, subscriber_id); this one
-- only cost every insert and every ack an extra index write.
DROP INDEX "deliveries_notification_id_status_idx";

-- Acks update every row two or three times (delivered, displayed, clicked/read): room on each page
-- keeps the new versions next to the old ones. Prisma's schema cannot express storage parameters;
-- its diffs leave them alone.
ALTER TABLE "deliveries" SET (fillfactor = 75);

-- Every accept bumps a subscriber's last_seq and every connect its last_seen_at; neither is
-- indexed, so with room on the page those updates are heap-only (HOT).
ALTER TABLE "subscribers" SET (fillfactor = 80);
