-- Web Push (issue 13): each app's VAPID key pair, the browsers of its users that subscribed to
-- push, and what happened to each notification in each of those browsers.

-- An app's VAPID keys (P-256, base64url). Made when the app is created; `herald migrate` (and the
-- first use) gives a pair to an app that has none. The private key is never returned by any API.
ALTER TABLE "apps" ADD COLUMN "vapid_public_key" TEXT;
ALTER TABLE "apps" ADD COLUMN "vapid_private_key" TEXT;
ALTER TABLE "apps" ADD COLUMN "vapid_rotated_at" TIMESTAMP(3);

-- One browser (profile) of a user that subscribed to push.
CREATE TABLE "push_subscriptions" (
    "id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "subscriber_id" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    -- The VAPID public key the browser subscribed with: not the app's current one → `resubscribe`.
    "public_key" TEXT NOT NULL,
    -- The page origin it subscribed from: where a click goes when the notification has no url.
    "origin" TEXT,
    "user_agent" TEXT,
    -- `active`, or `resubscribe` (made with a rotated-out key, or the push service refused the
    -- key): nothing is posted to it until the browser subscribes again.
    "status" TEXT NOT NULL DEFAULT 'active' CHECK ("status" IN ('active', 'resubscribe')),
    "expires_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_success_at" TIMESTAMP(3),
    "last_error" TEXT,
    CONSTRAINT "push_subscriptions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "push_subscriptions_app_id_endpoint_key" ON "push_subscriptions"("app_id", "endpoint");
CREATE INDEX "push_subscriptions_subscriber_id_idx" ON "push_subscriptions"("subscriber_id");
ALTER TABLE "push_subscriptions" ADD CONSTRAINT "push_subscriptions_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "push_subscriptions" ADD CONSTRAINT "push_subscriptions_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- What happened to one notification in one browser that has a push subscription: a tab of it
-- acknowledged it on a socket (`socket_at`: no push), or a push was posted (each attempt in
-- `attempts`: [{ at, status, outcome, detail }]), accepted by the push service, displayed,
-- clicked or closed by the service worker. One row per notification and browser, written only when
-- one of those happens.
CREATE TABLE "push_deliveries" (
    "notification_id" UUID NOT NULL,
    "subscription_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "subscriber_id" TEXT NOT NULL,
    -- `socket` (a tab had it: no push), `pending` (posting), `sent` (the push service took it),
    -- `failed` (gave up), `gone` (the subscription was removed: 404/410), `resubscribe`,
    -- `skipped` (not posted: the user's preferences, or too old to pop up; `attempts` says which).
    "status" TEXT NOT NULL CHECK ("status" IN ('socket', 'pending', 'sent', 'failed', 'gone', 'resubscribe', 'skipped')),
    "attempts" JSONB NOT NULL DEFAULT '[]',
    "socket_at" TIMESTAMP(3),
    "sent_at" TIMESTAMP(3),
    "displayed_at" TIMESTAMP(3),
    "clicked_at" TIMESTAMP(3),
    "closed_at" TIMESTAMP(3),
    "trimmed" TEXT[] NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "push_deliveries_pkey" PRIMARY KEY ("notification_id", "subscription_id")
);
CREATE INDEX "push_deliveries_subscriber_id_idx" ON "push_deliveries"("subscriber_id", "notification_id");
ALTER TABLE "push_deliveries" ADD CONSTRAINT "push_deliveries_notification_id_fkey" FOREIGN KEY ("notification_id") REFERENCES "notifications"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "push_deliveries" ADD CONSTRAINT "push_deliveries_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;
