-- migrate:up
-- Indexes the issue search needs (measured with `npm run bench:issues`: 1M events, 10k issues).
-- A selective `key:value` went from a sequential scan of issue_tag_values (56.7 ms) to an index
-- scan (0.06 ms).
CREATE INDEX "issue_tag_values_key_value_issue_id_idx" ON "issue_tag_values"("key", "value", "issue_id");
-- Not in the Prisma schema (it has no extended statistics): without it the planner takes key and
-- value as independent, misjudges common pairs like handled=no by 100x and leaves the primary
-- key for the index above, slowing every list's unhandled-flag lookup from 0.08 to 3 ms.
CREATE STATISTICS "issue_tag_values_key_value_stats" (mcv, ndistinct) ON "key", "value" FROM "issue_tag_values";

-- Free text (ilike '%...%' on title and culprit): trigram indexes, 12.4 ms -> 0.1 ms for a
-- search that matches nothing. pg_trgm ships with PostgreSQL's contrib (and the embedded
-- PostgreSQL); where it cannot be created, search still works, by scanning.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  CREATE INDEX "issues_title_trgm_idx" ON "issues" USING GIN ("title" gin_trgm_ops);
  CREATE INDEX "issues_culprit_trgm_idx" ON "issues" USING GIN ("culprit" gin_trgm_ops);
EXCEPTION WHEN undefined_file OR insufficient_privilege OR feature_not_supported THEN
  RAISE NOTICE 'pg_trgm is not available: free-text issue search scans instead of using an index';
END $$;

-- migrate:down
DROP INDEX IF EXISTS "public"."issues_title_trgm_idx";
DROP INDEX IF EXISTS "public"."issues_culprit_trgm_idx";
DROP STATISTICS IF EXISTS "public"."issue_tag_values_key_value_stats";
DROP INDEX "public"."issue_tag_values_key_value_issue_id_idx";
