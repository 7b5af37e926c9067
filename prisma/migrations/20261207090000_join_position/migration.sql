-- Where the user's personal sequence stood when they joined a topic, one past it: joining takes a
-- number of the user's own sequence (no delivery has it). A device that presents a personal cursor
-- below it last caught up before the user joined, so it has no cursor for the topic's stream yet:
-- its catch-up starts that stream at the join, rather than at what no device of the user received
-- (which would leave out what another device of theirs already had). Memberships from before this
-- migration have 0, and keep the old rule.
ALTER TABLE "topic_subscriptions" ADD COLUMN "personal_seq" INTEGER NOT NULL DEFAULT 0;
