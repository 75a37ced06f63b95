-- migrate:up
-- Duration sketches as bytes rather than jsonb (issue #22's cold transactions list): a list
-- sorted by p95 reads every group's sketches of the period (2.9 M buckets for 14 days over
-- 1,000 names in npm run bench:performance-list), and jsonb wrote each bucket out as text at
-- ~100 ns apiece. A sketch is now 3 bytes per bucket, a big-endian 24-bit word
-- index * 8192 + count, in ascending index order; a bucket of more than 8,191 durations
-- repeats its index (lib/performance/sketch-bytes.ts). Indexes stop at about 1,300 (30 days).
DROP FUNCTION transaction_sketch_merge(JSONB, JSONB);

-- Existing rows keep their history: each {index: count} object packed as above.
CREATE FUNCTION transaction_sketch_pack(s JSONB) RETURNS BYTEA
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(substring(int4send(k * 8192 + least(n - j * 8191, 8191)::int) FROM 2), ''::bytea ORDER BY k, j), ''::bytea)
  FROM (
    SELECT k::int AS k, n::int8 AS n FROM jsonb_each_text(s) e(k, n)
    WHERE k ~ '^[0-9]{1,4}$' AND n ~ '^[0-9]{1,15}$'
  ) e, generate_series(0, (n - 1) / 8191) j
  WHERE k < 2048
$$;

ALTER TABLE "transaction_stats" ALTER COLUMN "sketch" DROP DEFAULT,
ALTER COLUMN "sketch" SET DATA TYPE BYTEA USING transaction_sketch_pack("sketch"),
ALTER COLUMN "sketch" SET DEFAULT '\x';

DROP FUNCTION transaction_sketch_pack(JSONB);

-- Sketches merge in the stats upsert: counts of the same index add, written back as above.
CREATE FUNCTION transaction_sketch_merge(a BYTEA, b BYTEA) RETURNS BYTEA
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(substring(int4send(k * 8192 + least(n - j * 8191, 8191)::int) FROM 2), ''::bytea ORDER BY k, j), ''::bytea)
  FROM (
    SELECT w / 8192 AS k, sum(w % 8192) AS n
    FROM (
      SELECT get_byte(s, i) * 65536 + get_byte(s, i + 1) * 256 + get_byte(s, i + 2) AS w
      FROM (VALUES (a), (b)) v(s), generate_series(0, length(s) - 3, 3) i
    ) p
    GROUP BY 1
  ) t, generate_series(0, (n::int8 - 1) / 8191) j
$$;

-- The list's totals (every group's count, failures and duration sum over a period) read from
-- the index alone (an index-only scan once vacuum has marked the pages all-visible).
DROP INDEX "transaction_stats_project_id_resolution_bucket_idx";
CREATE INDEX "transaction_stats_project_id_resolution_bucket_idx" ON "transaction_stats"("project_id", "resolution", "bucket")
  INCLUDE ("group_id", "environment", "release", "count", "failures", "duration_sum");

-- migrate:down
DROP INDEX "transaction_stats_project_id_resolution_bucket_idx";
CREATE INDEX "transaction_stats_project_id_resolution_bucket_idx" ON "transaction_stats"("project_id", "resolution", "bucket");

DROP FUNCTION transaction_sketch_merge(BYTEA, BYTEA);

CREATE FUNCTION transaction_sketch_unpack(s BYTEA) RETURNS JSONB
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
  FROM (
    SELECT w / 8192 AS k, sum(w % 8192) AS n
    FROM (
      SELECT get_byte(s, i) * 65536 + get_byte(s, i + 1) * 256 + get_byte(s, i + 2) AS w
      FROM generate_series(0, length(s) - 3, 3) i
    ) p
    GROUP BY 1
  ) t
$$;

ALTER TABLE "transaction_stats" ALTER COLUMN "sketch" DROP DEFAULT,
ALTER COLUMN "sketch" SET DATA TYPE JSONB USING transaction_sketch_unpack("sketch"),
ALTER COLUMN "sketch" SET DEFAULT '{}';

DROP FUNCTION transaction_sketch_unpack(BYTEA);

CREATE FUNCTION transaction_sketch_merge(a JSONB, b JSONB) RETURNS JSONB
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
  FROM (
    SELECT k, sum(v::bigint) AS n
    FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) s(k, v)
    GROUP BY k
  ) t
$$;
