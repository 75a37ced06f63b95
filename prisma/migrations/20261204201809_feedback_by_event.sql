-- migrate:up
-- CreateIndex
CREATE INDEX "feedback_project_id_associated_event_id_idx" ON "feedback"("project_id", "associated_event_id");

-- migrate:down
-- DropIndex
DROP INDEX "public"."feedback_project_id_associated_event_id_idx";
