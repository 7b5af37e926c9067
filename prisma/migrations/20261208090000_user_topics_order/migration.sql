-- A user's topics, in name order (GET /v1/users/:userId/topics pages by topic name): the index on
-- (app_id, external_id) read all of a user's memberships and sorted them for every page. With the
-- topic as its last column it serves that page straight from the index, and every lookup by user
-- it served before. One index replaces the other: memberships cost no more to write.
DROP INDEX "topic_subscriptions_app_id_external_id_idx";
CREATE INDEX "topic_subscriptions_app_id_external_id_topic_idx" ON "topic_subscriptions"("app_id", "external_id", "topic");
