-- migrate:up
-- AlterTable
ALTER TABLE "check_ins" ADD COLUMN     "duration_ms" DOUBLE PRECISION,
ADD COLUMN     "expected_time" TIMESTAMPTZ(3),
ADD COLUMN     "monitor_environment_id" INTEGER,
ADD COLUMN     "monitor_id" INTEGER,
ADD COLUMN     "release" TEXT,
ADD COLUMN     "timeout_at" TIMESTAMPTZ(3),
ADD COLUMN     "trace_id" TEXT;

-- Durations are kept in milliseconds now; the seconds stored so far carry over.
UPDATE "check_ins" SET "duration_ms" = "duration_s" * 1000 WHERE "duration_s" IS NOT NULL;
ALTER TABLE "check_ins" DROP COLUMN "duration_s";

-- CreateTable
CREATE TABLE "session_users" (
    "project_id" INTEGER NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "release" TEXT NOT NULL,
    "environment" TEXT NOT NULL DEFAULT '',
    "user_hash" BIGINT NOT NULL,
    "worst_status" SMALLINT NOT NULL DEFAULT 0,

    CONSTRAINT "session_users_pkey" PRIMARY KEY ("project_id","hour","release","environment","user_hash")
);

-- CreateTable
CREATE TABLE "monitors" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "project_id" INTEGER NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "is_muted" BOOLEAN NOT NULL DEFAULT false,
    "schedule_type" TEXT NOT NULL,
    "schedule" TEXT NOT NULL,
    "checkin_margin" INTEGER NOT NULL DEFAULT 1,
    "max_runtime" INTEGER NOT NULL DEFAULT 30,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "failure_issue_threshold" INTEGER NOT NULL DEFAULT 1,
    "recovery_threshold" INTEGER NOT NULL DEFAULT 1,
    "owner" TEXT,
    "date_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "date_updated" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "monitors_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "monitor_environments" (
    "id" SERIAL NOT NULL,
    "monitor_id" INTEGER NOT NULL,
    "environment" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "last_check_in" TIMESTAMPTZ(3),
    "next_check_in" TIMESTAMPTZ(3),
    "next_check_in_latest" TIMESTAMPTZ(3),
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "consecutive_oks" INTEGER NOT NULL DEFAULT 0,
    "issue_id" INTEGER,
    "date_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "monitor_environments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "monitors_org_id_slug_idx" ON "monitors"("org_id", "slug");

-- CreateIndex
CREATE UNIQUE INDEX "monitors_project_id_slug_key" ON "monitors"("project_id", "slug");

-- CreateIndex
CREATE INDEX "monitor_environments_next_check_in_latest_idx" ON "monitor_environments"("next_check_in_latest");

-- CreateIndex
CREATE INDEX "monitor_environments_issue_id_idx" ON "monitor_environments"("issue_id");

-- CreateIndex
CREATE UNIQUE INDEX "monitor_environments_monitor_id_environment_key" ON "monitor_environments"("monitor_id", "environment");

-- CreateIndex
CREATE INDEX "check_ins_monitor_id_created_at_idx" ON "check_ins"("monitor_id", "created_at");

-- CreateIndex
CREATE INDEX "check_ins_monitor_environment_id_created_at_idx" ON "check_ins"("monitor_environment_id", "created_at");

-- CreateIndex
CREATE INDEX "check_ins_timeout_at_idx" ON "check_ins"("timeout_at");

-- AddForeignKey
ALTER TABLE "session_users" ADD CONSTRAINT "session_users_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "monitors" ADD CONSTRAINT "monitors_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "monitors" ADD CONSTRAINT "monitors_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "monitor_environments" ADD CONSTRAINT "monitor_environments_monitor_id_fkey" FOREIGN KEY ("monitor_id") REFERENCES "monitors"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "monitor_environments" ADD CONSTRAINT "monitor_environments_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "check_ins" ADD CONSTRAINT "check_ins_monitor_id_fkey" FOREIGN KEY ("monitor_id") REFERENCES "monitors"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "check_ins" ADD CONSTRAINT "check_ins_monitor_environment_id_fkey" FOREIGN KEY ("monitor_environment_id") REFERENCES "monitor_environments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."session_users" DROP CONSTRAINT "session_users_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."monitors" DROP CONSTRAINT "monitors_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."monitors" DROP CONSTRAINT "monitors_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."monitor_environments" DROP CONSTRAINT "monitor_environments_monitor_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."monitor_environments" DROP CONSTRAINT "monitor_environments_issue_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."check_ins" DROP CONSTRAINT "check_ins_monitor_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."check_ins" DROP CONSTRAINT "check_ins_monitor_environment_id_fkey";

-- DropIndex
DROP INDEX "public"."check_ins_monitor_id_created_at_idx";

-- DropIndex
DROP INDEX "public"."check_ins_monitor_environment_id_created_at_idx";

-- DropIndex
DROP INDEX "public"."check_ins_timeout_at_idx";

-- AlterTable
ALTER TABLE "public"."check_ins" DROP COLUMN "duration_ms",
DROP COLUMN "expected_time",
DROP COLUMN "monitor_environment_id",
DROP COLUMN "monitor_id",
DROP COLUMN "release",
DROP COLUMN "timeout_at",
DROP COLUMN "trace_id",
ADD COLUMN     "duration_s" DOUBLE PRECISION;

-- DropTable
DROP TABLE "public"."session_users";

-- DropTable
DROP TABLE "public"."monitors";

-- DropTable
DROP TABLE "public"."monitor_environments";
