-- Two foreign keys checked nothing their writers do not guarantee, at a price per row: every
-- notification is inserted for the app whose key accepted it, and every delivery for a subscriber
-- the same statement has just created or bumped (its sequence number). Each inserted row still ran
-- the key's check, a query that locks the parent row (the one app row, shared by every concurrent
-- accept) — measured at about 10 % of PostgreSQL's CPU per notification in a burst.
--
-- What the keys did that matters is the cascade: deleting an app (or, by hand, a subscriber) takes
-- its rows along. A statement trigger does that now, once per DELETE rather than a check per
-- INSERT. Herald itself deletes neither; an operator may. Prisma's schema cannot express a relation
-- without its key: a migration generated from it would add these back (drop those steps).
ALTER TABLE "notifications" DROP CONSTRAINT "notifications_app_id_fkey";
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_subscriber_id_fkey";

-- `SET search_path FROM CURRENT`: the function finds this schema's tables whatever the search path
-- of the session that deletes.
CREATE FUNCTION "herald_app_deleted"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM "notifications" n USING gone g WHERE n."app_id" = g."id";
  RETURN NULL;
END
$$;
CREATE TRIGGER "apps_take_their_notifications" AFTER DELETE ON "apps"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "herald_app_deleted"();

-- An app's subscribers go with it through their own key (subscribers_app_id_fkey stays), and this
-- takes their deliveries along.
CREATE FUNCTION "herald_subscriber_deleted"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM "deliveries" d USING gone g WHERE d."subscriber_id" = g."id";
  RETURN NULL;
END
$$;
CREATE TRIGGER "subscribers_take_their_deliveries" AFTER DELETE ON "subscribers"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "herald_subscriber_deleted"();
