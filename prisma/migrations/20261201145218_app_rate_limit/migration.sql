-- AlterTable
ALTER TABLE "apps" ADD COLUMN     "rate_limit_per_minute" INTEGER;
