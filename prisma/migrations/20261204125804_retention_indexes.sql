-- migrate:up
-- CreateIndex
CREATE INDEX "check_ins_project_id_created_at_idx" ON "check_ins"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "event_attachments_project_id_created_at_idx" ON "event_attachments"("project_id", "created_at");

-- migrate:down
-- DropIndex
DROP INDEX "public"."check_ins_project_id_created_at_idx";

-- DropIndex
DROP INDEX "public"."event_attachments_project_id_created_at_idx";
