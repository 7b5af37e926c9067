-- Topic sends and broadcasts as streams: such a notification is stored once, with one entry in
-- each stream it went to (a topic's, or the app's broadcast stream `*`), and a user gets a
-- delivery row for it only when something happens to it for them (a device acknowledged it,
-- showed it, it was clicked or read): a receipt, whose `seq` is null (it is in no personal stream).

-- Each stream's counter. Not the topic's row: a topic deleted and created again continues its
-- numbers, so entries kept from before never share one with new ones.
CREATE TABLE "streams" (
    "app_id" TEXT NOT NULL,
    -- A topic's name, or `*` for the app's broadcasts (no topic name holds a `*`).
    "name" TEXT NOT NULL,
    -- Taken by every send's accept (its audience) and dispatch (its place in the stream).
    "last_seq" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "streams_pkey" PRIMARY KEY ("app_id", "name")
);
ALTER TABLE "streams" ADD CONSTRAINT "streams_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A notification's place in a stream. `audience_seq`, taken when it was accepted, says who it is
-- for (the members whose window holds it); `seq`, taken when it went out (at accept for an
-- immediate send, at its time for a scheduled one), orders the stream for catch-up: commit order,
-- since both are taken under the stream row's lock. `rank`: its position in the send's topic list
-- (a user in several of them gets it through the first).
CREATE TABLE "stream_entries" (
    "notification_id" UUID NOT NULL,
    "app_id" TEXT NOT NULL,
    "stream" TEXT NOT NULL,
    "rank" SMALLINT NOT NULL DEFAULT 0,
    "audience_seq" INTEGER NOT NULL,
    "seq" INTEGER,
    CONSTRAINT "stream_entries_pkey" PRIMARY KEY ("notification_id", "stream")
);
CREATE UNIQUE INDEX "stream_entries_seq_key" ON "stream_entries" ("app_id", "stream", "seq");

-- A member's window: notifications with since_seq < audience_seq are theirs (those accepted
-- after they joined).
ALTER TABLE "topic_subscriptions" ADD COLUMN "since_seq" INTEGER NOT NULL DEFAULT 0;

-- Windows that ended (an unsubscribe, or the topic's deletion): what was sent while the user was
-- a member stays theirs (catch-up, inbox), nothing after.
CREATE TABLE "topic_memberships_ended" (
    "app_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "since_seq" INTEGER NOT NULL,
    "until_seq" INTEGER NOT NULL,
    "ended_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "topic_memberships_ended_pkey" PRIMARY KEY ("app_id", "external_id", "topic", "since_seq")
);
ALTER TABLE "topic_memberships_ended" ADD CONSTRAINT "topic_memberships_ended_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every end of a membership (unsubscribe, or the cascade of a topic's deletion) keeps its window,
-- up to the stream's counter at that moment. Not when the app itself is being deleted (its row is
-- gone already in this transaction): nothing of it is kept.
CREATE FUNCTION "topic_memberships_keep_window"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO topic_memberships_ended (app_id, topic, external_id, since_seq, until_seq)
  SELECT g.app_id, g.topic, g.external_id, g.since_seq, COALESCE(st.last_seq, 0)
    FROM gone g
    JOIN apps a ON a.id = g.app_id
    LEFT JOIN streams st ON st.app_id = g.app_id AND st.name = g.topic
   WHERE COALESCE(st.last_seq, 0) > g.since_seq
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER "topic_subscriptions_keep_window" AFTER DELETE ON "topic_subscriptions"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "topic_memberships_keep_window"();

-- A receipt of a stream notification has no personal sequence number.
ALTER TABLE "deliveries" ALTER COLUMN "seq" DROP NOT NULL;

-- An app's stream entries go with it, like its notifications.
CREATE OR REPLACE FUNCTION "herald_app_deleted"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM "notifications" n USING gone g WHERE n."app_id" = g."id";
  DELETE FROM "stream_entries" e USING gone g WHERE e."app_id" = g."id";
  RETURN NULL;
END
$$;

-- Broadcasts accepted before this migration that have not gone out yet (queued, scheduled, or half
-- fanned out) go out as streams: each gets its entry, numbered in the order they were accepted,
-- and its place in the stream when it is dispatched.
INSERT INTO "streams" ("app_id", "name", "last_seq")
SELECT "app_id", '*', count(*) FROM "notifications"
 WHERE "target" ? 'broadcast' AND "status" IN ('queued', 'scheduled', 'processing')
 GROUP BY "app_id";
INSERT INTO "stream_entries" ("notification_id", "app_id", "stream", "audience_seq")
SELECT "id", "app_id", '*', row_number() OVER (PARTITION BY "app_id" ORDER BY "created_at", "id")
  FROM "notifications"
 WHERE "target" ? 'broadcast' AND "status" IN ('queued', 'scheduled', 'processing');
