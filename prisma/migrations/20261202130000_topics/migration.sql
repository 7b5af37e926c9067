-- Topics: an app's named groups of users, and who is in each.
CREATE TABLE "topics" (
    "app_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    -- Kept by every subscribe and unsubscribe (by the number of rows each added or removed), so
    -- listing topics with their sizes reads no subscription.
    "subscriber_count" INTEGER NOT NULL DEFAULT 0,
    -- Users may subscribe themselves from the SDK (otherwise only the backend, or a JWT grant).
    "public" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "topics_pkey" PRIMARY KEY ("app_id", "name")
);

CREATE TABLE "topic_subscriptions" (
    "app_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "subscriber_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    -- A topic's members in user-id order (its pages); a user's topics through the index below.
    CONSTRAINT "topic_subscriptions_pkey" PRIMARY KEY ("app_id", "topic", "external_id")
);

CREATE INDEX "topic_subscriptions_app_id_external_id_idx" ON "topic_subscriptions"("app_id", "external_id");
CREATE INDEX "topic_subscriptions_subscriber_id_idx" ON "topic_subscriptions"("subscriber_id");

ALTER TABLE "topics" ADD CONSTRAINT "topics_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "topic_subscriptions" ADD CONSTRAINT "topic_subscriptions_app_id_topic_fkey" FOREIGN KEY ("app_id", "topic") REFERENCES "topics"("app_id", "name") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "topic_subscriptions" ADD CONSTRAINT "topic_subscriptions_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
