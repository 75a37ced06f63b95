-- migrate:up
-- Transaction documents (~10 KB, compressed out of line) with lz4 rather than pglz: PostgreSQL's
-- CPU per stored transaction 178-218 -> 131-136 us (bench:transactions --db-sql). A server
-- built without lz4 (the embedded PostgreSQL's binaries) keeps pglz: the same data, more CPU.
DO $$
BEGIN
  ALTER TABLE "transactions" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not supported by this PostgreSQL build: transaction documents stay pglz-compressed';
END $$;

-- migrate:down
ALTER TABLE "transactions" ALTER COLUMN "payload" SET COMPRESSION default;
