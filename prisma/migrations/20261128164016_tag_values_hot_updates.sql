-- migrate:up
-- The drain batch upserts thousands of tag values per batch, bumping times_seen and last_seen.
-- With no index on those columns and room left in each page, the updates are HOT: no index
-- entry is written. Measured with `npm run bench:processing -- --scenarios small --small-n 30000
-- --pg-log-statements`: the upsert 35-36 ms -> 13.5-14 ms per ~450-event batch, end to end
-- 2,574-2,647 -> 3,112-3,247 events/s. Top values per key sort one issue's values instead.
DROP INDEX "issue_tag_values_issue_id_key_times_seen_idx";
ALTER TABLE "issue_tag_values" SET (fillfactor = 80);

-- migrate:down
ALTER TABLE "issue_tag_values" RESET (fillfactor);
CREATE INDEX "issue_tag_values_issue_id_key_times_seen_idx" ON "public"."issue_tag_values"("issue_id" ASC, "key" ASC, "times_seen" ASC);
