-- AlterEnum
ALTER TYPE "NotificationStatus" ADD VALUE 'expired';

-- AlterTable
ALTER TABLE "notifications" ADD COLUMN     "cancelled_at" TIMESTAMP(3),
ADD COLUMN     "request_hash" TEXT;

-- CreateIndex
CREATE INDEX "notifications_expires_at_idx" ON "notifications"("expires_at");

-- CreateIndex
CREATE INDEX "deliveries_subscriber_id_status_idx" ON "deliveries"("subscriber_id", "status");

