-- AlterTable
ALTER TABLE "deliveries" ADD COLUMN     "closed_at" TIMESTAMP(3);

