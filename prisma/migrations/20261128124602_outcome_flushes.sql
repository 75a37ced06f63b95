-- migrate:up
-- CreateTable
CREATE TABLE "outcome_flushes" (
    "id" TEXT NOT NULL,
    "flushed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outcome_flushes_pkey" PRIMARY KEY ("id")
);

-- migrate:down
-- DropTable
DROP TABLE "public"."outcome_flushes";
