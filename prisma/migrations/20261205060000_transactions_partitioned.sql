-- migrate:up
-- transactions becomes partitioned by week of a new received_at column, as events was
-- (20261205022400_events_partitioned gives the reasons for weekly, for the server's clock, for
-- the default partition and for the dedupe table; they hold here as they do there): retention
-- drops whole weeks instead of deleting rows, and (project_id, event_id) stays unique through
-- transaction_ids, which the batch inserts into first (lib/performance/store-transactions.ts).
-- README "Event storage: partitions" has the measurements.
--
-- received_at is when the worker stored the row (the batch transaction's now(), the column's
-- default). The rows already stored get their own end timestamp, or now() when it is ahead of
-- the server's clock (an SDK's clock can be): retention by plan and the read filter go by
-- received_at, so giving them all the migration's now() would keep and serve a 29-day-old
-- transaction of a Free org for 30 more days, and a Team org's 89-day-old one for 90. The cost
-- is one rewrite of the table: ALTER COLUMN ... TYPE ... USING rewrites every row and builds its
-- indexes once, where an UPDATE would also leave a dead copy of every row behind.
--
-- The existing table is attached as the partition transactions_legacy (everything before the
-- first weekly partition) and dropped whole once all of it is past retention; a fresh install
-- starts without it. The id sequence moves to the new table so that drop does not take it.
-- Foreign keys: transactions keeps its own (project, group; their cascades delete a project's or
-- a group's transactions as before). Nothing references transactions by a foreign key (pending
-- spans and N+1 events name a transaction by event_id only).

ALTER TABLE "transactions" RENAME TO "transactions_legacy";
ALTER TABLE "transactions_legacy" RENAME CONSTRAINT "transactions_pkey" TO "transactions_legacy_pkey";
ALTER TABLE "transactions_legacy" RENAME CONSTRAINT "transactions_project_id_fkey" TO "transactions_legacy_project_id_fkey";
ALTER TABLE "transactions_legacy" RENAME CONSTRAINT "transactions_group_id_fkey" TO "transactions_legacy_group_id_fkey";
ALTER INDEX "transactions_group_id_timestamp_idx" RENAME TO "transactions_legacy_group_id_timestamp_idx";
ALTER INDEX "transactions_group_id_duration_ms_idx" RENAME TO "transactions_legacy_group_id_duration_ms_idx";
ALTER INDEX "transactions_trace_id_idx" RENAME TO "transactions_legacy_trace_id_idx";
-- Only retention read transactions by (project, timestamp); it goes by received_at now.
DROP INDEX "transactions_project_id_timestamp_idx";
-- Not rebuilt by the rewrite below: the partitioned table's keys replace it.
DROP INDEX "transactions_project_id_event_id_key";
ALTER TABLE "transactions_legacy" ADD COLUMN "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "transactions_legacy" ALTER COLUMN "received_at" TYPE TIMESTAMPTZ(3) USING least("timestamp", CURRENT_TIMESTAMP);

-- CreateTable (filled before its keys are made: one sorted index build instead of a random insert per row)
CREATE TABLE "transaction_ids" (
    "project_id" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL
);
INSERT INTO "transaction_ids" ("project_id", "event_id", "received_at")
SELECT "project_id", "event_id", "received_at" FROM "transactions_legacy";
ALTER TABLE "transaction_ids" ADD CONSTRAINT "transaction_ids_pkey" PRIMARY KEY ("project_id","event_id");
CREATE INDEX "transaction_ids_received_at_idx" ON "transaction_ids"("received_at");
ALTER TABLE "transaction_ids" ADD CONSTRAINT "transaction_ids_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "transactions" (
    "id" BIGINT NOT NULL DEFAULT nextval('transactions_id_seq'),
    "project_id" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "op" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT '',
    "trace_id" UUID,
    "duration_ms" DOUBLE PRECISION NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "release" TEXT,
    "environment" TEXT,
    "group_id" BIGINT NOT NULL,
    "method" TEXT NOT NULL DEFAULT '',
    "parent_span_id" TEXT,
    "payload" JSON NOT NULL DEFAULT '{}',
    "span_count" INTEGER NOT NULL DEFAULT 0,
    "span_id" TEXT NOT NULL DEFAULT '',
    "start_timestamp" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transactions_pkey" PRIMARY KEY ("id","received_at")
) PARTITION BY RANGE ("received_at");
-- The legacy partition is dropped one day: the id sequence must not go with it.
ALTER SEQUENCE "transactions_id_seq" OWNED BY "transactions"."id";
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "transaction_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- Partitions made later copy the parent's column compression (CREATE TABLE ... LIKE ... INCLUDING ALL).
DO $$
BEGIN
  ALTER TABLE "transactions" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available: transaction payloads stay pglz-compressed';
END $$;

-- The old rows become the first partition (or go, when there are none), then the default
-- partition and the first two weeks; the partition job keeps two weeks ahead from then on.
DO $$
DECLARE
  first_week timestamptz := date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '7 days';
  week timestamptz;
BEGIN
  IF EXISTS (SELECT 1 FROM "transactions_legacy") THEN
    -- received_at is at most now(): the legacy partition ends with this week.
    ALTER TABLE "transactions_legacy" DROP CONSTRAINT "transactions_legacy_pkey";
    ALTER TABLE "transactions_legacy" ALTER COLUMN "id" DROP DEFAULT;
    EXECUTE format('ALTER TABLE "transactions" ATTACH PARTITION "transactions_legacy" FOR VALUES FROM (MINVALUE) TO (%L)', first_week);
  ELSE
    DROP TABLE "transactions_legacy";
    first_week := first_week - interval '7 days';
  END IF;
  CREATE TABLE "transactions_default" PARTITION OF "transactions" DEFAULT;
  FOR i IN 0..2 LOOP
    week := first_week + i * interval '7 days';
    EXECUTE format('CREATE TABLE %I PARTITION OF "transactions" FOR VALUES FROM (%L) TO (%L)',
      'transactions_' || to_char(week AT TIME ZONE 'UTC', 'YYYYMMDD'), week, week + interval '7 days');
  END LOOP;
END $$;

-- CreateIndex (attaches the legacy partition's matching indexes instead of building them again)
CREATE INDEX "transactions_group_id_timestamp_idx" ON "transactions"("group_id", "timestamp");
CREATE INDEX "transactions_group_id_duration_ms_idx" ON "transactions"("group_id", "duration_ms");
CREATE INDEX "transactions_trace_id_idx" ON "transactions"("trace_id");
-- Retention of orgs on plans shorter than the partition drop horizon deletes by these.
CREATE INDEX "transactions_project_id_received_at_idx" ON "transactions"("project_id", "received_at");
-- Lookups by event id (the transaction event API, late spans joining their segment) as before;
-- not unique: transaction_ids is the unique key.
CREATE INDEX "transactions_project_id_event_id_idx" ON "transactions"("project_id", "event_id");

-- migrate:down
-- Back to one table: every partition's rows in it (a copy), the dedupe table dropped.
ALTER TABLE "transactions" RENAME TO "transactions_partitioned";
ALTER TABLE "transactions_partitioned" RENAME CONSTRAINT "transactions_pkey" TO "transactions_partitioned_pkey";
ALTER INDEX "transactions_group_id_timestamp_idx" RENAME TO "transactions_partitioned_group_id_timestamp_idx";
ALTER INDEX "transactions_group_id_duration_ms_idx" RENAME TO "transactions_partitioned_group_id_duration_ms_idx";
ALTER INDEX "transactions_trace_id_idx" RENAME TO "transactions_partitioned_trace_id_idx";
ALTER INDEX "transactions_project_id_received_at_idx" RENAME TO "transactions_partitioned_project_id_received_at_idx";
ALTER INDEX "transactions_project_id_event_id_idx" RENAME TO "transactions_partitioned_project_id_event_id_idx";
ALTER TABLE "transactions_partitioned" RENAME CONSTRAINT "transactions_project_id_fkey" TO "transactions_partitioned_project_id_fkey";
ALTER TABLE "transactions_partitioned" RENAME CONSTRAINT "transactions_group_id_fkey" TO "transactions_partitioned_group_id_fkey";
CREATE TABLE "transactions" (LIKE "transactions_partitioned" INCLUDING DEFAULTS INCLUDING COMPRESSION);
ALTER SEQUENCE "transactions_id_seq" OWNED BY "transactions"."id";
INSERT INTO "transactions" SELECT * FROM "transactions_partitioned";
DROP TABLE "transactions_partitioned";
DROP TABLE "transaction_ids";
ALTER TABLE "transactions" DROP COLUMN "received_at";
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_pkey" PRIMARY KEY ("id");
CREATE INDEX "transactions_project_id_timestamp_idx" ON "transactions"("project_id", "timestamp");
CREATE INDEX "transactions_group_id_timestamp_idx" ON "transactions"("group_id", "timestamp");
CREATE INDEX "transactions_group_id_duration_ms_idx" ON "transactions"("group_id", "duration_ms");
CREATE INDEX "transactions_trace_id_idx" ON "transactions"("trace_id");
CREATE UNIQUE INDEX "transactions_project_id_event_id_key" ON "transactions"("project_id", "event_id");
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "transaction_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;
