-- migrate:up
-- AlterTable
ALTER TABLE "events" ADD COLUMN     "trace_id" UUID;

-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "apdex_threshold_ms" INTEGER NOT NULL DEFAULT 300;

-- CreateTable
CREATE TABLE "transaction_groups" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "op" TEXT NOT NULL DEFAULT '',
    "method" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transaction_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transaction_stats" (
    "group_id" BIGINT NOT NULL,
    "project_id" INTEGER NOT NULL,
    "resolution" CHAR(1) NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "environment" TEXT NOT NULL DEFAULT '',
    "release" TEXT NOT NULL DEFAULT '',
    "count" INTEGER NOT NULL DEFAULT 0,
    "duration_sum" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "sketch" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "transaction_stats_pkey" PRIMARY KEY ("group_id","resolution","bucket","environment","release")
);

-- CreateTable
CREATE TABLE "transaction_error_stats" (
    "project_id" INTEGER NOT NULL,
    "resolution" CHAR(1) NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "name" TEXT NOT NULL,
    "environment" TEXT NOT NULL DEFAULT '',
    "release" TEXT NOT NULL DEFAULT '',
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "transaction_error_stats_pkey" PRIMARY KEY ("project_id","resolution","bucket","name","environment","release")
);

-- Sketches merge in the stats upsert: counts of the same bucket index add (lib/performance/sketch.ts).
CREATE FUNCTION transaction_sketch_merge(a JSONB, b JSONB) RETURNS JSONB
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
  FROM (
    SELECT k, sum(v::bigint) AS n
    FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) s(k, v)
    GROUP BY k
  ) t
$$;

-- Existing transactions (stored before this migration, without spans) get their groups, the
-- new columns and their stats, so the lists show them. The sketch index is sketchIndex() of
-- lib/performance/sketch.ts written in SQL.
ALTER TABLE "transactions" ADD COLUMN "group_id" BIGINT,
ADD COLUMN     "method" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "parent_span_id" TEXT,
ADD COLUMN     "payload" JSON NOT NULL DEFAULT '{}',
ADD COLUMN     "span_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "span_id" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "start_timestamp" TIMESTAMPTZ(3);

ALTER TABLE "transactions" ALTER COLUMN "trace_id" DROP DEFAULT,
ALTER COLUMN "trace_id" DROP NOT NULL,
ALTER COLUMN "trace_id" SET DATA TYPE UUID
  USING CASE WHEN "trace_id" ~ '^[0-9a-fA-F]{32}$' THEN "trace_id"::uuid END;

INSERT INTO "transaction_groups" ("project_id", "name", "op")
SELECT DISTINCT "project_id", "name", "op" FROM "transactions";

UPDATE "transactions" t SET "group_id" = g."id",
  "start_timestamp" = t."timestamp" - t."duration_ms" * interval '1 millisecond'
FROM "transaction_groups" g
WHERE g."project_id" = t."project_id" AND g."name" = t."name" AND g."op" = t."op" AND g."method" = '';

ALTER TABLE "transactions" ALTER COLUMN "group_id" SET NOT NULL,
ALTER COLUMN "start_timestamp" SET NOT NULL;

INSERT INTO "transaction_stats" ("group_id", "project_id", "resolution", "bucket", "environment", "release", "count", "duration_sum", "failures", "sketch")
SELECT "group_id", "project_id", resolution, bucket, environment, release,
  sum(n)::int, sum(total), sum(failed)::int, jsonb_object_agg(key, n)
FROM (
  SELECT "group_id", "project_id", r.resolution,
    date_trunc(CASE r.resolution WHEN 'h' THEN 'hour' ELSE 'day' END, "timestamp", 'UTC') AS bucket,
    coalesce("environment", '') AS environment, coalesce("release", '') AS release,
    ceil(ln(greatest("duration_ms", 0.01) / 0.01) / ln(1.01 / 0.99))::int AS key,
    count(*) AS n, sum("duration_ms") AS total,
    count(*) FILTER (WHERE "status" NOT IN ('', 'ok', 'cancelled', 'unknown', 'unknown_error')) AS failed
  FROM "transactions", (VALUES ('h'), ('d')) r(resolution)
  GROUP BY 1, 2, 3, 4, 5, 6, 7
) k
GROUP BY 1, 2, 3, 4, 5, 6;

-- CreateIndex
CREATE UNIQUE INDEX "transaction_groups_project_id_name_op_method_key" ON "transaction_groups"("project_id", "name", "op", "method");

-- CreateIndex
CREATE INDEX "transaction_stats_project_id_resolution_bucket_idx" ON "transaction_stats"("project_id", "resolution", "bucket");

-- CreateIndex
CREATE INDEX "events_trace_id_idx" ON "events"("trace_id");

-- CreateIndex
CREATE INDEX "transactions_group_id_timestamp_idx" ON "transactions"("group_id", "timestamp");

-- CreateIndex
CREATE INDEX "transactions_group_id_duration_ms_idx" ON "transactions"("group_id", "duration_ms");

-- CreateIndex
CREATE INDEX "transactions_trace_id_idx" ON "transactions"("trace_id");

-- AddForeignKey
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "transaction_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transaction_groups" ADD CONSTRAINT "transaction_groups_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transaction_stats" ADD CONSTRAINT "transaction_stats_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "transaction_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transaction_stats" ADD CONSTRAINT "transaction_stats_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transaction_error_stats" ADD CONSTRAINT "transaction_error_stats_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."transactions" DROP CONSTRAINT "transactions_group_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."transaction_groups" DROP CONSTRAINT "transaction_groups_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."transaction_stats" DROP CONSTRAINT "transaction_stats_group_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."transaction_stats" DROP CONSTRAINT "transaction_stats_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."transaction_error_stats" DROP CONSTRAINT "transaction_error_stats_project_id_fkey";

-- DropIndex
DROP INDEX "public"."events_trace_id_idx";

-- DropIndex
DROP INDEX "public"."transactions_group_id_timestamp_idx";

-- DropIndex
DROP INDEX "public"."transactions_group_id_duration_ms_idx";

-- DropIndex
DROP INDEX "public"."transactions_trace_id_idx";

-- AlterTable
ALTER TABLE "public"."projects" DROP COLUMN "apdex_threshold_ms";

-- AlterTable
ALTER TABLE "public"."events" DROP COLUMN "trace_id";

-- AlterTable
ALTER TABLE "public"."transactions" DROP COLUMN "group_id",
DROP COLUMN "method",
DROP COLUMN "parent_span_id",
DROP COLUMN "payload",
DROP COLUMN "span_count",
DROP COLUMN "span_id",
DROP COLUMN "start_timestamp",
ALTER COLUMN "trace_id" SET DATA TYPE TEXT USING coalesce(replace("trace_id"::text, '-', ''), ''),
ALTER COLUMN "trace_id" SET DEFAULT '',
ALTER COLUMN "trace_id" SET NOT NULL;

DROP FUNCTION transaction_sketch_merge(JSONB, JSONB);

-- DropTable
DROP TABLE "public"."transaction_groups";

-- DropTable
DROP TABLE "public"."transaction_stats";

-- DropTable
DROP TABLE "public"."transaction_error_stats";
