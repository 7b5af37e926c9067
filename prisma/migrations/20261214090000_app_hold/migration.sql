-- Every statement that accepts sends holds its app, shared, until it commits; an app's deletion
-- holds it alone first. So a deletion waits for the sends already under way (its triggers then
-- delete them), and a send that comes after finds no app and stores nothing: no notification
-- outlives its app, nor reaches the users of a new app given the same id.
--
-- An advisory lock rather than a row lock (FOR KEY SHARE on the app's row): concurrent row
-- lockers of one row from several nodes make a MultiXact per statement, and a deletion waiting
-- behind them can be passed by new lockers for ever; the lock manager queues a waiting exclusive
-- request ahead of later shared ones. The key is the installation's schema and the app's id.
-- VOLATILE: the app is looked up after the lock is granted, with a snapshot of its own (the
-- calling statement's was taken before it waited).
CREATE FUNCTION "herald_hold_app"(app text) RETURNS boolean LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtextextended(current_schema() || '/herald-app/' || app, 0));
  RETURN EXISTS (SELECT 1 FROM "apps" WHERE "id" = app);
END
$$;

CREATE FUNCTION "herald_hold_app_alone"(app text) RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || '/herald-app/' || app, 0));
END
$$;
