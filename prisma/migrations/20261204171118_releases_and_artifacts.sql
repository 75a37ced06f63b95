-- migrate:up
-- AlterTable
ALTER TABLE "issues" ADD COLUMN     "resolved_in_next_release" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "resolved_in_release_id" INTEGER;

-- AlterTable
ALTER TABLE "release_projects" ADD COLUMN     "event_count" INTEGER NOT NULL DEFAULT 0,
ALTER COLUMN "first_seen" DROP NOT NULL,
ALTER COLUMN "last_seen" DROP NOT NULL;

-- AlterTable
ALTER TABLE "releases" ADD COLUMN     "date_released" TIMESTAMPTZ(3),
ADD COLUMN     "date_started" TIMESTAMPTZ(3),
ADD COLUMN     "ref" TEXT,
ADD COLUMN     "url" TEXT;

-- CreateTable
CREATE TABLE "deploys" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "release_id" INTEGER NOT NULL,
    "environment" TEXT NOT NULL,
    "name" TEXT,
    "url" TEXT,
    "date_started" TIMESTAMPTZ(3),
    "date_finished" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deploys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "repositories" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "provider" TEXT,
    "url" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repositories_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commits" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "repository_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "message" TEXT,
    "author_name" TEXT,
    "author_email" TEXT,
    "timestamp" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commit_file_changes" (
    "id" SERIAL NOT NULL,
    "commit_id" INTEGER NOT NULL,
    "filename" TEXT NOT NULL,
    "type" TEXT NOT NULL,

    CONSTRAINT "commit_file_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release_commits" (
    "release_id" INTEGER NOT NULL,
    "commit_id" INTEGER NOT NULL,
    "order" INTEGER NOT NULL,

    CONSTRAINT "release_commits_pkey" PRIMARY KEY ("release_id","commit_id")
);

-- CreateTable
CREATE TABLE "file_chunks" (
    "org_id" INTEGER NOT NULL,
    "checksum" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "file_chunks_pkey" PRIMARY KEY ("org_id","checksum")
);

-- CreateTable
CREATE TABLE "bundle_assemblies" (
    "org_id" INTEGER NOT NULL,
    "checksum" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "detail" TEXT,
    "bundle_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bundle_assemblies_pkey" PRIMARY KEY ("org_id","checksum")
);

-- CreateTable
CREATE TABLE "artifact_bundles" (
    "id" SERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "bundle_id" UUID NOT NULL,
    "checksum" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "file_count" INTEGER NOT NULL,
    "release" TEXT,
    "dist" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "artifact_bundles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artifact_bundle_projects" (
    "bundle_id" INTEGER NOT NULL,
    "project_id" INTEGER NOT NULL,

    CONSTRAINT "artifact_bundle_projects_pkey" PRIMARY KEY ("bundle_id","project_id")
);

-- CreateTable
CREATE TABLE "artifact_files" (
    "id" BIGSERIAL NOT NULL,
    "org_id" INTEGER NOT NULL,
    "bundle_id" INTEGER,
    "project_id" INTEGER,
    "release" TEXT,
    "dist" TEXT NOT NULL DEFAULT '',
    "url" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "debug_id" UUID,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "blob_key" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha1" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "artifact_files_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "deploys_release_id_idx" ON "deploys"("release_id");

-- CreateIndex
CREATE INDEX "deploys_org_id_environment_idx" ON "deploys"("org_id", "environment");

-- CreateIndex
CREATE UNIQUE INDEX "repositories_org_id_name_key" ON "repositories"("org_id", "name");

-- CreateIndex
CREATE INDEX "commits_org_id_idx" ON "commits"("org_id");

-- CreateIndex
CREATE UNIQUE INDEX "commits_repository_id_key_key" ON "commits"("repository_id", "key");

-- CreateIndex
CREATE INDEX "commit_file_changes_commit_id_idx" ON "commit_file_changes"("commit_id");

-- CreateIndex
CREATE INDEX "release_commits_commit_id_idx" ON "release_commits"("commit_id");

-- CreateIndex
CREATE INDEX "file_chunks_created_at_idx" ON "file_chunks"("created_at");

-- CreateIndex
CREATE INDEX "bundle_assemblies_updated_at_idx" ON "bundle_assemblies"("updated_at");

-- CreateIndex
CREATE INDEX "artifact_bundles_last_used_at_idx" ON "artifact_bundles"("last_used_at");

-- CreateIndex
CREATE UNIQUE INDEX "artifact_bundles_org_id_checksum_key" ON "artifact_bundles"("org_id", "checksum");

-- CreateIndex
CREATE INDEX "artifact_bundle_projects_project_id_idx" ON "artifact_bundle_projects"("project_id");

-- CreateIndex
CREATE INDEX "artifact_files_org_id_debug_id_type_idx" ON "artifact_files"("org_id", "debug_id", "type");

-- CreateIndex
CREATE INDEX "artifact_files_org_id_release_dist_url_idx" ON "artifact_files"("org_id", "release", "dist", "url");

-- CreateIndex
CREATE INDEX "artifact_files_bundle_id_idx" ON "artifact_files"("bundle_id");

-- AddForeignKey
ALTER TABLE "issues" ADD CONSTRAINT "issues_resolved_in_release_id_fkey" FOREIGN KEY ("resolved_in_release_id") REFERENCES "releases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "releases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "repositories" ADD CONSTRAINT "repositories_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "commits" ADD CONSTRAINT "commits_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repositories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "commit_file_changes" ADD CONSTRAINT "commit_file_changes_commit_id_fkey" FOREIGN KEY ("commit_id") REFERENCES "commits"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_commits" ADD CONSTRAINT "release_commits_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "releases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_commits" ADD CONSTRAINT "release_commits_commit_id_fkey" FOREIGN KEY ("commit_id") REFERENCES "commits"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifact_bundles" ADD CONSTRAINT "artifact_bundles_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifact_bundle_projects" ADD CONSTRAINT "artifact_bundle_projects_bundle_id_fkey" FOREIGN KEY ("bundle_id") REFERENCES "artifact_bundles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifact_bundle_projects" ADD CONSTRAINT "artifact_bundle_projects_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifact_files" ADD CONSTRAINT "artifact_files_bundle_id_fkey" FOREIGN KEY ("bundle_id") REFERENCES "artifact_bundles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."issues" DROP CONSTRAINT "issues_resolved_in_release_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."deploys" DROP CONSTRAINT "deploys_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."deploys" DROP CONSTRAINT "deploys_release_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."repositories" DROP CONSTRAINT "repositories_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."commits" DROP CONSTRAINT "commits_repository_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."commit_file_changes" DROP CONSTRAINT "commit_file_changes_commit_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."release_commits" DROP CONSTRAINT "release_commits_release_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."release_commits" DROP CONSTRAINT "release_commits_commit_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."artifact_bundles" DROP CONSTRAINT "artifact_bundles_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."artifact_bundle_projects" DROP CONSTRAINT "artifact_bundle_projects_bundle_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."artifact_bundle_projects" DROP CONSTRAINT "artifact_bundle_projects_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."artifact_files" DROP CONSTRAINT "artifact_files_bundle_id_fkey";

-- AlterTable
ALTER TABLE "public"."issues" DROP COLUMN "resolved_in_next_release",
DROP COLUMN "resolved_in_release_id";

-- AlterTable
ALTER TABLE "public"."releases" DROP COLUMN "date_released",
DROP COLUMN "date_started",
DROP COLUMN "ref",
DROP COLUMN "url";

-- AlterTable
ALTER TABLE "public"."release_projects" DROP COLUMN "event_count",
ALTER COLUMN "first_seen" SET NOT NULL,
ALTER COLUMN "last_seen" SET NOT NULL;

-- DropTable
DROP TABLE "public"."deploys";

-- DropTable
DROP TABLE "public"."repositories";

-- DropTable
DROP TABLE "public"."commits";

-- DropTable
DROP TABLE "public"."commit_file_changes";

-- DropTable
DROP TABLE "public"."release_commits";

-- DropTable
DROP TABLE "public"."file_chunks";

-- DropTable
DROP TABLE "public"."bundle_assemblies";

-- DropTable
DROP TABLE "public"."artifact_bundles";

-- DropTable
DROP TABLE "public"."artifact_bundle_projects";

-- DropTable
DROP TABLE "public"."artifact_files";
