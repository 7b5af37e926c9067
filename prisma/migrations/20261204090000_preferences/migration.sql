-- Categories and preferences (issue 12): an app sorts its notifications into categories, each with
-- a default mode and whether users may turn it off; a user chooses, per category and per topic,
-- `popup`, `inbox` (no popup) or `off`, and quiet hours.

CREATE TABLE "categories" (
    "app_id" TEXT NOT NULL,
    -- What a send names in `category`.
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    -- What a user who chose nothing gets.
    "default_mode" TEXT NOT NULL DEFAULT 'popup' CHECK ("default_mode" IN ('popup', 'inbox', 'off')),
    -- Users cannot turn it off: their `off` (for it, or for the topic it came through) counts as `inbox`.
    "required" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "categories_pkey" PRIMARY KEY ("app_id", "key")
);
ALTER TABLE "categories" ADD CONSTRAINT "categories_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A user's choices, one document per user: { categories: {key: mode}, topics: {topic: mode},
-- quietHours: {start, end, timeZone} | null }. Read with the subscriber row that every send and
-- handshake touches anyway.
ALTER TABLE "subscribers" ADD COLUMN "preferences" JSONB NOT NULL DEFAULT '{}';

ALTER TABLE "notifications" ADD COLUMN "category" TEXT;

-- A recipient of a send to users whose preferences turned it off: a row that says so (and why, in
-- `reason`), with no sequence number (it is in nobody's stream) and no device ever sees it.
ALTER TYPE "DeliveryStatus" ADD VALUE 'skipped';

-- The mode a user takes a notification in, before quiet hours (which depend on the time: the
-- gateway applies them when it sends): the category's (the user's choice, else the category's
-- default; popup for none or one that no longer exists) and the topic's (the user's choice, else
-- popup; none for a send to users or a broadcast), the lesser of the two (off < inbox < popup); a
-- required category is never off. delivery/preferences.ts says the same in TypeScript, for live
-- sends; a test holds the two to one table.
CREATE FUNCTION "herald_mode"(prefs JSONB, category TEXT, default_mode TEXT, required BOOLEAN, topic TEXT)
RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN required AND m = 'off' THEN 'inbox' ELSE m END FROM (
    SELECT CASE WHEN 'off' IN (c, t) THEN 'off' WHEN 'inbox' IN (c, t) THEN 'inbox' ELSE 'popup' END AS m FROM (
      SELECT CASE WHEN category IS NULL OR default_mode IS NULL THEN 'popup'
                  ELSE COALESCE(prefs -> 'categories' ->> category, default_mode) END AS c,
             CASE WHEN topic IS NULL THEN 'popup' ELSE COALESCE(prefs -> 'topics' ->> topic, 'popup') END AS t
    ) choices
  ) lesser
$$;
