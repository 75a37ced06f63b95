-- migrate:up
-- Event payloads (2-3 KB of JSON, past the TOAST threshold) compress with lz4 instead of pglz:
-- the events insert of a 470-event batch took 8 ms less (tests/bench processing, --pg-log-statements).
-- Not part of the Prisma schema (it has no notion of column compression). A PostgreSQL built
-- without lz4 keeps pglz rather than failing the migration.
DO $$
BEGIN
  ALTER TABLE "events" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available: event payloads stay pglz-compressed';
END $$;

-- migrate:down
ALTER TABLE "events" ALTER COLUMN "payload" SET COMPRESSION default;
