-- migrate:up
-- Event payloads as json (text, checked but not parsed into a tree) instead of jsonb: nothing
-- queries inside them beyond a few top-level keys, and the drain batch's insert no longer
-- builds a jsonb of every payload. Measured with `npm run bench:processing -- --scenarios small
-- --small-n 30000 --pg-log-statements`: the events insert 46 -> 36 ms per ~450-event batch,
-- end to end 2,781-3,178 -> 3,279-3,384 events/s.
ALTER TABLE "events" ALTER COLUMN "payload" SET DATA TYPE JSON;
-- Changing the type resets the column's compression (measured): lz4 again, as 20261128153000 set it.
DO $$
BEGIN
  ALTER TABLE "events" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available: event payloads stay pglz-compressed';
END $$;

-- migrate:down
ALTER TABLE "public"."events" ALTER COLUMN "payload" SET DATA TYPE JSONB;
