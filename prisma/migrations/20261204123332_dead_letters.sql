-- migrate:up
-- CreateTable
CREATE TABLE "dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "lane" INTEGER NOT NULL,
    "stream_id" TEXT NOT NULL,
    "item_type" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "error" TEXT NOT NULL,
    "meta" TEXT NOT NULL,
    "item_header" BYTEA NOT NULL,
    "payload" BYTEA NOT NULL,
    "payload_size" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dead_letters_project_id_id_idx" ON "dead_letters"("project_id", "id");

-- AddForeignKey
ALTER TABLE "dead_letters" ADD CONSTRAINT "dead_letters_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."dead_letters" DROP CONSTRAINT "dead_letters_project_id_fkey";

-- DropTable
DROP TABLE "public"."dead_letters";
