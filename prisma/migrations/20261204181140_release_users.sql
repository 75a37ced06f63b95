-- migrate:up
-- CreateTable
CREATE TABLE "release_users" (
    "release_id" INTEGER NOT NULL,
    "project_id" INTEGER NOT NULL,
    "user_hash" BIGINT NOT NULL,

    CONSTRAINT "release_users_pkey" PRIMARY KEY ("release_id","user_hash","project_id")
);

-- CreateIndex
CREATE INDEX "release_users_project_id_idx" ON "release_users"("project_id");

-- AddForeignKey
ALTER TABLE "release_users" ADD CONSTRAINT "release_users_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "releases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_users" ADD CONSTRAINT "release_users_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."release_users" DROP CONSTRAINT "release_users_release_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."release_users" DROP CONSTRAINT "release_users_project_id_fkey";

-- DropTable
DROP TABLE "public"."release_users";
