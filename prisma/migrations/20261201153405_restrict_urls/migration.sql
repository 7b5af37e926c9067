-- AlterTable
ALTER TABLE "apps" ADD COLUMN     "restrict_urls" BOOLEAN NOT NULL DEFAULT false;
