-- What still has to be emitted of the sends dispatched by their accepting statement (an immediate
-- send to at most 100 users: its delivery rows and numbers are written there, and it is stored
-- `dispatched`). One row per job, written by that statement, holds the job's notifications; the
-- statement with which the job reads them deletes it. That is the only write of the way out,
-- instead of an UPDATE of every notification row. The sweep gives a row older than its while a job
-- again when Redis lost or never took it (a process killed between the commit and the queue call),
-- the API reads a notification in a row as still `queued`, and the queue's age gauge reads the
-- oldest row. The table holds only what waits for a job: its scans are short, and no index but the
-- key costs each accept a write. (`notification_ids` is NOT NULL here; Prisma's schema cannot say
-- so of a list.)
CREATE TABLE "dispatch_outbox" (
  "id" TEXT NOT NULL,
  "notification_ids" UUID[] NOT NULL,
  "priority" "Priority" NOT NULL,
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "dispatch_outbox_pkey" PRIMARY KEY ("id")
);
