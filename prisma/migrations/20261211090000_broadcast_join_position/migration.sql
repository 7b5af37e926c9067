-- Who a broadcast is for, by position rather than by clock. A user's broadcasts were those accepted
-- at or after the time the app came to know them (subscribers.created_at <= notifications.created_at),
-- while its recipients were the app's count of users read in another statement: a user added by a
-- transaction that started before a broadcast and committed after its count was in its audience
-- and not in its recipients (and the other way round). Now a user's window in the broadcast stream
-- starts, like a topic membership's, after the stream's counter when they were added
-- (`broadcast_since`), read by the subscriber-count trigger after it locked the app's row; a
-- broadcast holds that row FOR SHARE while it takes its number and reads the count (intake/streams.ts).
-- So each user-adding statement falls wholly before or after each broadcast, for the count and for
-- the audience alike.
-- 0 for the rows there now (a constant default: no rewrite of the table), then no default.
ALTER TABLE "subscribers" ADD COLUMN "broadcast_since" INTEGER DEFAULT 0;
ALTER TABLE "subscribers" ALTER COLUMN "broadcast_since" DROP DEFAULT;

-- Existing users keep the broadcasts they had: their window starts after the highest number of the
-- broadcasts accepted before the app knew them. One pass per app over its users and broadcasts in
-- time order (a user before a broadcast of the same instant, which the old rule gave them), not a
-- look at every broadcast per user; only users with a broadcast before them are written. (Where two
-- concurrent broadcasts' numbers and clocks disagreed, a user between their clocks loses the one
-- with the lower number: the old rule could not order them either.)
UPDATE "subscribers" s SET "broadcast_since" = w."since"
  FROM (SELECT "id", "since" FROM (
          SELECT u."id", max(u."audience") OVER (PARTITION BY u."app_id" ORDER BY u."at", u."kind" ROWS UNBOUNDED PRECEDING) AS "since"
            FROM (SELECT s2."id", s2."app_id", s2."created_at" AS "at", 0 AS "kind", NULL::int AS "audience"
                    FROM "subscribers" s2
                  UNION ALL
                  SELECT NULL, e."app_id", n."created_at", 1, e."audience_seq"
                    FROM "stream_entries" e JOIN "notifications" n ON n."id" = e."notification_id"
                   WHERE e."stream" = '*') u) o
         WHERE o."id" IS NOT NULL AND o."since" > 0) w
 WHERE s."id" = w."id";

-- Null only inside the statement that inserts the row: its trigger sets it before anyone else can
-- read the row (a reader of that statement's RETURNING reads it again: gateway/subscribers.ts).
CREATE OR REPLACE FUNCTION "herald_subscribers_counted"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM 1 FROM "apps" WHERE "id" IN (SELECT "app_id" FROM changed) ORDER BY "id" FOR NO KEY UPDATE;
  UPDATE "apps" a SET "subscriber_count" = a."subscriber_count" + CASE WHEN TG_OP = 'INSERT' THEN n.k ELSE -n.k END
    FROM (SELECT "app_id", count(*)::int AS k FROM changed GROUP BY "app_id") n
   WHERE a."id" = n."app_id";
  IF TG_OP = 'INSERT' THEN
    -- A statement of its own, so a fresh snapshot (READ COMMITTED): it sees every broadcast that
    -- committed before the lock above was granted, and none can commit after it until this
    -- transaction ends.
    UPDATE "subscribers" s SET "broadcast_since" = COALESCE(
        (SELECT st."last_seq" FROM "streams" st WHERE st."app_id" = s."app_id" AND st."name" = '*'), 0)
     WHERE s."id" IN (SELECT "id" FROM changed);
  END IF;
  RETURN NULL;
END
$$;

-- A topic send's or broadcast's recipients, read by its accepting statement once it holds its
-- topics' rows (or its app's) FOR SHARE: a function, so that its statement takes a fresh snapshot
-- then (READ COMMITTED) and counts every subscribe and new user that committed before those locks
-- were granted, as the stream numbers taken under them do. PL/pgSQL: never inlined into the caller
-- (which would read with the caller's older snapshot).
CREATE FUNCTION "herald_audience_size"("app" TEXT, "names" TEXT[]) RETURNS INTEGER LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT AS $$
BEGIN
  -- Under REPEATABLE READ its queries would read the transaction's snapshot, not a fresh one.
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'herald_audience_size counts what committed before its caller''s locks: READ COMMITTED only';
  END IF;
  IF '*' = ANY("names") THEN
    RETURN (SELECT "subscriber_count" FROM "apps" WHERE "id" = "app");
  ELSIF cardinality("names") = 1 THEN
    RETURN COALESCE((SELECT "subscriber_count" FROM "topics" WHERE "app_id" = "app" AND "name" = "names"[1]), 0);
  END IF;
  RETURN (SELECT count(DISTINCT "external_id")::int FROM "topic_subscriptions"
           WHERE "app_id" = "app" AND "topic" = ANY("names"));
END
$$;
