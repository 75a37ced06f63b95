-- migrate:up
-- AlterTable
ALTER TABLE "stream_checkpoints" DROP CONSTRAINT "stream_checkpoints_pkey",
ADD COLUMN     "lane" INTEGER NOT NULL DEFAULT 0,
ADD CONSTRAINT "stream_checkpoints_pkey" PRIMARY KEY ("project_id", "lane");

-- migrate:down
-- AlterTable
ALTER TABLE "public"."stream_checkpoints" DROP CONSTRAINT "stream_checkpoints_pkey",
DROP COLUMN "lane",
ADD CONSTRAINT "stream_checkpoints_pkey" PRIMARY KEY ("project_id");
