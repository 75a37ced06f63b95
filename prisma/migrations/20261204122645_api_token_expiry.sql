-- migrate:up
-- AlterTable
ALTER TABLE "api_tokens" ADD COLUMN     "expires_at" TIMESTAMPTZ(3);

-- migrate:down
-- AlterTable
ALTER TABLE "public"."api_tokens" DROP COLUMN "expires_at";
