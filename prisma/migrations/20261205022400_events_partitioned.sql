-- migrate:up
-- events becomes partitioned by week of received_at, so retention drops whole partitions
-- instead of deleting rows (lib/events/partitions.ts creates them ahead and drops them; README
-- "Event storage: partitions" has the measurements).
--
-- Why received_at: it is the server's clock at ingest, so every row lands near "now" and in a
-- partition the job made ahead; the SDK's timestamp can be years off either way. A row outside
-- every partition (the worker stopped for weeks, a clock jump) goes to events_default rather
-- than failing its batch; the job moves such rows out before it attaches their week.
--
-- Why weekly, not daily: the issue pages read an issue's events by issue_id, which says nothing
-- about received_at, so on a self-hosted install (which keeps everything) every such read visits
-- every partition: 52 a year weekly, 365 daily. Measured with tests/bench/event-partitions.bench.ts
-- (README). Retention needs no finer step: plans keep 30 or 90 days and the drop horizon is the
-- longest of them; a week-wide partition is dropped at most 7 days after its newest row is past
-- that horizon, and nothing is served past an org's own retention in the meantime (read filter).
--
-- Why a dedupe table: (project_id, event_id) must stay unique, but a unique index on a
-- partitioned table must include the partition key, so it would only dedupe within one week: an
-- SDK (or a replayed backlog) sending an event again after a week boundary would store it twice
-- and count it twice. event_ids keeps the pair as its primary key; the batch inserts there first
-- (on conflict do nothing) and stores only the events that came back as new, in the same
-- transaction. It carries received_at so retention deletes its rows once their events'
-- partitions are dropped (small rows: ~60 bytes against ~1-3 KB of event).
--
-- The existing table is not copied: it is attached as the partition events_legacy for
-- everything before the first weekly partition (a scan and one index build instead of
-- rewriting every row and index), and dropped whole once all of it is past retention. A fresh
-- install has nothing to keep and starts without it.
--
-- Foreign keys: events keeps its own (project, issue; their cascades delete an issue's or a
-- project's events as before). Nothing references events by a foreign key (attachments and
-- feedback name an event by event_id only), so no key needs the partition column.

ALTER TABLE "events" RENAME TO "events_legacy";
ALTER TABLE "events_legacy" RENAME CONSTRAINT "events_pkey" TO "events_legacy_pkey";
ALTER TABLE "events_legacy" RENAME CONSTRAINT "events_project_id_fkey" TO "events_legacy_project_id_fkey";
ALTER TABLE "events_legacy" RENAME CONSTRAINT "events_issue_id_fkey" TO "events_legacy_issue_id_fkey";
ALTER INDEX "events_issue_id_timestamp_idx" RENAME TO "events_legacy_issue_id_timestamp_idx";
ALTER INDEX "events_project_id_received_at_idx" RENAME TO "events_legacy_project_id_received_at_idx";
ALTER INDEX "events_trace_id_idx" RENAME TO "events_legacy_trace_id_idx";

-- CreateTable (filled before its keys are made: one sorted index build instead of a random insert per row)
CREATE TABLE "event_ids" (
    "project_id" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL
);
INSERT INTO "event_ids" ("project_id", "event_id", "received_at")
SELECT "project_id", "event_id", "received_at" FROM "events_legacy";
ALTER TABLE "event_ids" ADD CONSTRAINT "event_ids_pkey" PRIMARY KEY ("project_id","event_id");
CREATE INDEX "event_ids_received_at_idx" ON "event_ids"("received_at");
ALTER TABLE "event_ids" ADD CONSTRAINT "event_ids_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "events" (
    "id" BIGINT NOT NULL DEFAULT nextval('events_id_seq'),
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
    "tags" JSONB NOT NULL DEFAULT '[]',
    "payload" JSON NOT NULL,
    "title" TEXT NOT NULL DEFAULT '',
    "trace_id" UUID,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id","received_at")
) PARTITION BY RANGE ("received_at");
-- The legacy partition is dropped one day: the id sequence must not go with it.
ALTER SEQUENCE "events_id_seq" OWNED BY "events"."id";
ALTER TABLE "events" ADD CONSTRAINT "events_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "events" ADD CONSTRAINT "events_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- Partitions made later copy the parent's column compression (CREATE TABLE ... LIKE ... INCLUDING ALL).
DO $$
BEGIN
  ALTER TABLE "events" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available: event payloads stay pglz-compressed';
END $$;

-- The old rows become the first partition (or go, when there are none), then the default
-- partition and the first two weeks; the partition job keeps two weeks ahead from then on.
DO $$
DECLARE
  first_week timestamptz := date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '7 days';
  newest timestamptz;
  week timestamptz;
BEGIN
  IF EXISTS (SELECT 1 FROM "events_legacy") THEN
    SELECT max("received_at") INTO newest FROM "events_legacy";
    first_week := greatest(first_week, date_trunc('week', newest AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '7 days');
    ALTER TABLE "events_legacy" DROP CONSTRAINT "events_legacy_pkey";
    DROP INDEX "events_project_id_event_id_key";
    ALTER TABLE "events_legacy" ALTER COLUMN "id" DROP DEFAULT;
    EXECUTE format('ALTER TABLE "events" ATTACH PARTITION "events_legacy" FOR VALUES FROM (MINVALUE) TO (%L)', first_week);
  ELSE
    DROP TABLE "events_legacy";
    first_week := first_week - interval '7 days';
  END IF;
  CREATE TABLE "events_default" PARTITION OF "events" DEFAULT;
  FOR i IN 0..2 LOOP
    week := first_week + i * interval '7 days';
    EXECUTE format('CREATE TABLE %I PARTITION OF "events" FOR VALUES FROM (%L) TO (%L)',
      'events_' || to_char(week AT TIME ZONE 'UTC', 'YYYYMMDD'), week, week + interval '7 days');
  END LOOP;
END $$;

-- CreateIndex (attaches the legacy partition's matching indexes instead of building them again)
CREATE INDEX "events_issue_id_timestamp_idx" ON "events"("issue_id", "timestamp");
CREATE INDEX "events_project_id_received_at_idx" ON "events"("project_id", "received_at");
CREATE INDEX "events_trace_id_idx" ON "events"("trace_id");
-- Lookups by event id (feedback, the org event API, check-in incidents) as before; not unique:
-- event_ids is the unique key.
CREATE INDEX "events_project_id_event_id_idx" ON "events"("project_id", "event_id");

-- migrate:down
-- Back to one table: every partition's rows in it (a copy), the dedupe table dropped.
ALTER TABLE "events" RENAME TO "events_partitioned";
ALTER TABLE "events_partitioned" RENAME CONSTRAINT "events_pkey" TO "events_partitioned_pkey";
ALTER INDEX "events_issue_id_timestamp_idx" RENAME TO "events_partitioned_issue_id_timestamp_idx";
ALTER INDEX "events_project_id_received_at_idx" RENAME TO "events_partitioned_project_id_received_at_idx";
ALTER INDEX "events_trace_id_idx" RENAME TO "events_partitioned_trace_id_idx";
ALTER INDEX "events_project_id_event_id_idx" RENAME TO "events_partitioned_project_id_event_id_idx";
ALTER TABLE "events_partitioned" RENAME CONSTRAINT "events_project_id_fkey" TO "events_partitioned_project_id_fkey";
ALTER TABLE "events_partitioned" RENAME CONSTRAINT "events_issue_id_fkey" TO "events_partitioned_issue_id_fkey";
CREATE TABLE "events" (LIKE "events_partitioned" INCLUDING DEFAULTS INCLUDING COMPRESSION);
ALTER SEQUENCE "events_id_seq" OWNED BY "events"."id";
INSERT INTO "events" SELECT * FROM "events_partitioned";
DROP TABLE "events_partitioned";
DROP TABLE "event_ids";
ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY ("id");
CREATE INDEX "events_issue_id_timestamp_idx" ON "events"("issue_id", "timestamp");
CREATE INDEX "events_project_id_received_at_idx" ON "events"("project_id", "received_at");
CREATE INDEX "events_trace_id_idx" ON "events"("trace_id");
CREATE UNIQUE INDEX "events_project_id_event_id_key" ON "events"("project_id", "event_id");
ALTER TABLE "events" ADD CONSTRAINT "events_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "events" ADD CONSTRAINT "events_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;
