-- migrate:up
-- CreateEnum
CREATE TYPE "Role" AS ENUM ('owner', 'admin', 'member', 'billing');

-- CreateEnum
CREATE TYPE "IssueStatus" AS ENUM ('unresolved', 'resolved', 'ignored');

-- CreateEnum
CREATE TYPE "Outcome" AS ENUM ('accepted', 'filtered', 'rate_limited', 'invalid', 'client_discard');

-- CreateTable
CREATE TABLE "users" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "password_hash" TEXT,
    "email_verified_at" TIMESTAMPTZ(3),
    "clerk_id" TEXT,
    "is_superuser" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" SERIAL NOT NULL,
    "token_hash" TEXT NOT NULL,
    "user_id" INTEGER NOT NULL,
    "ip" TEXT,
    "user_agent" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "organizations" (
    "id" SERIAL NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "clerk_id" TEXT,
    "plan" TEXT NOT NULL DEFAULT 'free',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "user_id" INTEGER NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'member',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "projects" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "platform" TEXT NOT NULL DEFAULT 'other',
    "scrub_data" BOOLEAN NOT NULL DEFAULT true,
    "filters" JSONB NOT NULL DEFAULT '{}',
    "next_short_id" INTEGER NOT NULL DEFAULT 1,
    "first_event_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "project_keys" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "label" TEXT NOT NULL DEFAULT 'Default',
    "public_key" TEXT NOT NULL,
    "secret_key" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "rate_limit_count" INTEGER,
    "rate_limit_window" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "project_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "org_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "token_prefix" TEXT NOT NULL,
    "scopes" TEXT[],
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "issues" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "short_id" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "culprit" TEXT NOT NULL DEFAULT '',
    "type" TEXT NOT NULL DEFAULT 'error',
    "level" TEXT NOT NULL DEFAULT 'error',
    "platform" TEXT NOT NULL DEFAULT 'other',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "status" "IssueStatus" NOT NULL DEFAULT 'unresolved',
    "substatus" TEXT,
    "grouping_version" TEXT NOT NULL DEFAULT 'v1',
    "times_seen" INTEGER NOT NULL DEFAULT 0,
    "user_count" INTEGER NOT NULL DEFAULT 0,
    "first_seen" TIMESTAMPTZ(3) NOT NULL,
    "last_seen" TIMESTAMPTZ(3) NOT NULL,
    "first_release" TEXT,
    "last_release" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "ignore_until" TIMESTAMPTZ(3),
    "ignore_until_count" INTEGER,
    "assignee_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "issues_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "issue_hashes" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "issue_hashes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "issue_activities" (
    "id" SERIAL NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "user_id" INTEGER,
    "data" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "issue_activities_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "issue_id" INTEGER,
    "event_id" TEXT NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "level" TEXT NOT NULL DEFAULT 'error',
    "platform" TEXT NOT NULL DEFAULT 'other',
    "release" TEXT,
    "environment" TEXT,
    "user_tag" TEXT,
    "tags" JSONB NOT NULL DEFAULT '{}',
    "payload" JSONB NOT NULL,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "releases" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "releases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release_projects" (
    "release_id" INTEGER NOT NULL,
    "project_id" INTEGER NOT NULL,
    "first_seen" TIMESTAMPTZ(3) NOT NULL,
    "last_seen" TIMESTAMPTZ(3) NOT NULL,
    "new_issues" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "release_projects_pkey" PRIMARY KEY ("release_id","project_id")
);

-- CreateTable
CREATE TABLE "environments" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "project_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "first_seen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "environments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outcome_counts" (
    "org_id" INTEGER NOT NULL,
    "project_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "category" TEXT NOT NULL,
    "outcome" "Outcome" NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "quantity" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "outcome_counts_pkey" PRIMARY KEY ("org_id","project_id","day","category","outcome","reason")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "users_clerk_id_key" ON "users"("clerk_id");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");

-- CreateIndex
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "organizations_slug_key" ON "organizations"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "organizations_clerk_id_key" ON "organizations"("clerk_id");

-- CreateIndex
CREATE INDEX "memberships_user_id_idx" ON "memberships"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "memberships_org_id_user_id_key" ON "memberships"("org_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "projects_org_id_slug_key" ON "projects"("org_id", "slug");

-- CreateIndex
CREATE UNIQUE INDEX "project_keys_public_key_key" ON "project_keys"("public_key");

-- CreateIndex
CREATE INDEX "project_keys_project_id_idx" ON "project_keys"("project_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "api_tokens_org_id_idx" ON "api_tokens"("org_id");

-- CreateIndex
CREATE INDEX "api_tokens_user_id_idx" ON "api_tokens"("user_id");

-- CreateIndex
CREATE INDEX "issues_project_id_status_last_seen_idx" ON "issues"("project_id", "status", "last_seen");

-- CreateIndex
CREATE INDEX "issues_project_id_last_seen_idx" ON "issues"("project_id", "last_seen");

-- CreateIndex
CREATE INDEX "issues_assignee_id_idx" ON "issues"("assignee_id");

-- CreateIndex
CREATE UNIQUE INDEX "issues_project_id_short_id_key" ON "issues"("project_id", "short_id");

-- CreateIndex
CREATE INDEX "issue_hashes_issue_id_idx" ON "issue_hashes"("issue_id");

-- CreateIndex
CREATE UNIQUE INDEX "issue_hashes_project_id_hash_key" ON "issue_hashes"("project_id", "hash");

-- CreateIndex
CREATE INDEX "issue_activities_issue_id_created_at_idx" ON "issue_activities"("issue_id", "created_at");

-- CreateIndex
CREATE INDEX "events_issue_id_timestamp_idx" ON "events"("issue_id", "timestamp");

-- CreateIndex
CREATE INDEX "events_project_id_received_at_idx" ON "events"("project_id", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "events_project_id_event_id_key" ON "events"("project_id", "event_id");

-- CreateIndex
CREATE UNIQUE INDEX "releases_org_id_version_key" ON "releases"("org_id", "version");

-- CreateIndex
CREATE INDEX "release_projects_project_id_idx" ON "release_projects"("project_id");

-- CreateIndex
CREATE INDEX "environments_org_id_idx" ON "environments"("org_id");

-- CreateIndex
CREATE UNIQUE INDEX "environments_project_id_name_key" ON "environments"("project_id", "name");

-- CreateIndex
CREATE INDEX "outcome_counts_org_id_day_idx" ON "outcome_counts"("org_id", "day");

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "projects" ADD CONSTRAINT "projects_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "project_keys" ADD CONSTRAINT "project_keys_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issues" ADD CONSTRAINT "issues_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issues" ADD CONSTRAINT "issues_assignee_id_fkey" FOREIGN KEY ("assignee_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_hashes" ADD CONSTRAINT "issue_hashes_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_hashes" ADD CONSTRAINT "issue_hashes_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_activities" ADD CONSTRAINT "issue_activities_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_activities" ADD CONSTRAINT "issue_activities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "releases" ADD CONSTRAINT "releases_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_projects" ADD CONSTRAINT "release_projects_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "releases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_projects" ADD CONSTRAINT "release_projects_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "environments" ADD CONSTRAINT "environments_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "environments" ADD CONSTRAINT "environments_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outcome_counts" ADD CONSTRAINT "outcome_counts_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outcome_counts" ADD CONSTRAINT "outcome_counts_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."sessions" DROP CONSTRAINT "sessions_user_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."memberships" DROP CONSTRAINT "memberships_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."memberships" DROP CONSTRAINT "memberships_user_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."projects" DROP CONSTRAINT "projects_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."project_keys" DROP CONSTRAINT "project_keys_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."api_tokens" DROP CONSTRAINT "api_tokens_user_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."api_tokens" DROP CONSTRAINT "api_tokens_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."issues" DROP CONSTRAINT "issues_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."issues" DROP CONSTRAINT "issues_assignee_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."issue_hashes" DROP CONSTRAINT "issue_hashes_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."issue_hashes" DROP CONSTRAINT "issue_hashes_issue_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."issue_activities" DROP CONSTRAINT "issue_activities_issue_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."issue_activities" DROP CONSTRAINT "issue_activities_user_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."events" DROP CONSTRAINT "events_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."events" DROP CONSTRAINT "events_issue_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."releases" DROP CONSTRAINT "releases_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."release_projects" DROP CONSTRAINT "release_projects_release_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."release_projects" DROP CONSTRAINT "release_projects_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."environments" DROP CONSTRAINT "environments_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."environments" DROP CONSTRAINT "environments_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."outcome_counts" DROP CONSTRAINT "outcome_counts_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."outcome_counts" DROP CONSTRAINT "outcome_counts_project_id_fkey";

-- DropTable
DROP TABLE "public"."users";

-- DropTable
DROP TABLE "public"."sessions";

-- DropTable
DROP TABLE "public"."organizations";

-- DropTable
DROP TABLE "public"."memberships";

-- DropTable
DROP TABLE "public"."projects";

-- DropTable
DROP TABLE "public"."project_keys";

-- DropTable
DROP TABLE "public"."api_tokens";

-- DropTable
DROP TABLE "public"."issues";

-- DropTable
DROP TABLE "public"."issue_hashes";

-- DropTable
DROP TABLE "public"."issue_activities";

-- DropTable
DROP TABLE "public"."events";

-- DropTable
DROP TABLE "public"."releases";

-- DropTable
DROP TABLE "public"."release_projects";

-- DropTable
DROP TABLE "public"."environments";

-- DropTable
DROP TABLE "public"."outcome_counts";

-- DropEnum
DROP TYPE "public"."Role";

-- DropEnum
DROP TYPE "public"."IssueStatus";

-- DropEnum
DROP TYPE "public"."Outcome";
