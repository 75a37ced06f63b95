-- migrate:up
-- AlterTable
ALTER TABLE "events" ADD COLUMN     "title" TEXT NOT NULL DEFAULT '',
ALTER COLUMN "tags" SET DEFAULT '[]';

-- CreateTable
CREATE TABLE "issue_hourly_counts" (
    "issue_id" INTEGER NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "issue_hourly_counts_pkey" PRIMARY KEY ("issue_id","hour")
);

-- CreateTable
CREATE TABLE "issue_tag_values" (
    "issue_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "times_seen" INTEGER NOT NULL,
    "first_seen" TIMESTAMPTZ(3) NOT NULL,
    "last_seen" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "issue_tag_values_pkey" PRIMARY KEY ("issue_id","key","value")
);

-- CreateTable
CREATE TABLE "issue_users" (
    "issue_id" INTEGER NOT NULL,
    "user_tag" TEXT NOT NULL,

    CONSTRAINT "issue_users_pkey" PRIMARY KEY ("issue_id","user_tag")
);

-- CreateTable
CREATE TABLE "stream_checkpoints" (
    "project_id" INTEGER NOT NULL,
    "last_ms" BIGINT NOT NULL,
    "last_seq" BIGINT NOT NULL,

    CONSTRAINT "stream_checkpoints_pkey" PRIMARY KEY ("project_id")
);

-- CreateTable
CREATE TABLE "transactions" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "op" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT '',
    "trace_id" TEXT NOT NULL DEFAULT '',
    "duration_ms" DOUBLE PRECISION NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "release" TEXT,
    "environment" TEXT,

    CONSTRAINT "transactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session_counts" (
    "project_id" INTEGER NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "release" TEXT NOT NULL,
    "environment" TEXT NOT NULL DEFAULT '',
    "started" INTEGER NOT NULL DEFAULT 0,
    "exited" INTEGER NOT NULL DEFAULT 0,
    "errored" INTEGER NOT NULL DEFAULT 0,
    "crashed" INTEGER NOT NULL DEFAULT 0,
    "abnormal" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "session_counts_pkey" PRIMARY KEY ("project_id","hour","release","environment")
);

-- CreateTable
CREATE TABLE "check_ins" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "check_in_id" TEXT NOT NULL,
    "monitor_slug" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "duration_s" DOUBLE PRECISION,
    "environment" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "payload" JSONB NOT NULL,

    CONSTRAINT "check_ins_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "feedback" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,
    "associated_event_id" TEXT,
    "name" TEXT NOT NULL DEFAULT '',
    "email" TEXT NOT NULL DEFAULT '',
    "message" TEXT NOT NULL,
    "url" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "feedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_attachments" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL DEFAULT 'application/octet-stream',
    "size" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_attachments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "issue_tag_values_issue_id_key_times_seen_idx" ON "issue_tag_values"("issue_id", "key", "times_seen");

-- CreateIndex
CREATE INDEX "transactions_project_id_timestamp_idx" ON "transactions"("project_id", "timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "transactions_project_id_event_id_key" ON "transactions"("project_id", "event_id");

-- CreateIndex
CREATE INDEX "check_ins_project_id_monitor_slug_created_at_idx" ON "check_ins"("project_id", "monitor_slug", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "check_ins_project_id_check_in_id_key" ON "check_ins"("project_id", "check_in_id");

-- CreateIndex
CREATE INDEX "feedback_project_id_created_at_idx" ON "feedback"("project_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "feedback_project_id_event_id_key" ON "feedback"("project_id", "event_id");

-- CreateIndex
CREATE INDEX "event_attachments_project_id_event_id_idx" ON "event_attachments"("project_id", "event_id");

-- AddForeignKey
ALTER TABLE "issue_hourly_counts" ADD CONSTRAINT "issue_hourly_counts_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_tag_values" ADD CONSTRAINT "issue_tag_values_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_users" ADD CONSTRAINT "issue_users_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stream_checkpoints" ADD CONSTRAINT "stream_checkpoints_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session_counts" ADD CONSTRAINT "session_counts_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "check_ins" ADD CONSTRAINT "check_ins_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "event_attachments" ADD CONSTRAINT "event_attachments_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."issue_hourly_counts" DROP CONSTRAINT "issue_hourly_counts_issue_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."issue_tag_values" DROP CONSTRAINT "issue_tag_values_issue_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."issue_users" DROP CONSTRAINT "issue_users_issue_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."stream_checkpoints" DROP CONSTRAINT "stream_checkpoints_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."transactions" DROP CONSTRAINT "transactions_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."session_counts" DROP CONSTRAINT "session_counts_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."check_ins" DROP CONSTRAINT "check_ins_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."feedback" DROP CONSTRAINT "feedback_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."event_attachments" DROP CONSTRAINT "event_attachments_project_id_fkey";

-- AlterTable
ALTER TABLE "public"."events" DROP COLUMN "title",
ALTER COLUMN "tags" SET DEFAULT '{}';

-- DropTable
DROP TABLE "public"."issue_hourly_counts";

-- DropTable
DROP TABLE "public"."issue_tag_values";

-- DropTable
DROP TABLE "public"."issue_users";

-- DropTable
DROP TABLE "public"."stream_checkpoints";

-- DropTable
DROP TABLE "public"."transactions";

-- DropTable
DROP TABLE "public"."session_counts";

-- DropTable
DROP TABLE "public"."check_ins";

-- DropTable
DROP TABLE "public"."feedback";

-- DropTable
DROP TABLE "public"."event_attachments";
