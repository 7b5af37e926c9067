-- CreateTable
CREATE TABLE "installation" (
    "singleton" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "installation_pkey" PRIMARY KEY ("singleton")
);

-- CreateIndex
CREATE UNIQUE INDEX "installation_id_key" ON "installation"("id");
