-- migrate:up
-- CreateTable
CREATE TABLE "pending_spans" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "segment_id" TEXT NOT NULL,
    "spans" JSON NOT NULL,
    "span_count" INTEGER NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pending_spans_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "pending_spans_project_id_segment_id_idx" ON "pending_spans"("project_id", "segment_id");

-- CreateIndex
CREATE INDEX "pending_spans_received_at_idx" ON "pending_spans"("received_at");

-- AddForeignKey
ALTER TABLE "pending_spans" ADD CONSTRAINT "pending_spans_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."pending_spans" DROP CONSTRAINT "pending_spans_project_id_fkey";

-- DropTable
DROP TABLE "public"."pending_spans";
