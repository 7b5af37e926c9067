-- The recipient list of a topic send reads the topic's ended memberships in user-id order
-- (log/stream-audience.ts); the primary key leads with the user, not the topic.
CREATE INDEX "topic_memberships_ended_app_id_topic_external_id_idx" ON "topic_memberships_ended"("app_id", "topic", "external_id");
