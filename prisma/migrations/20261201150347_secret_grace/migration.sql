-- AlterTable
ALTER TABLE "apps" ADD COLUMN     "jwt_secret_previous_until" TIMESTAMP(3);

-- Secrets rotated before this migration keep the fixed 24-hour grace they were rotated with.
UPDATE "apps" SET "jwt_secret_previous_until" = "jwt_secret_rotated_at" + INTERVAL '24 hours'
WHERE "jwt_secret_previous" IS NOT NULL AND "jwt_secret_rotated_at" IS NOT NULL;
