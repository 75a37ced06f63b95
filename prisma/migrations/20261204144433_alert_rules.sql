-- migrate:up
-- AlterTable
ALTER TABLE "users" ADD COLUMN     "alert_emails" TEXT NOT NULL DEFAULT 'all';

-- CreateTable
CREATE TABLE "alert_rules" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "action_match" TEXT NOT NULL DEFAULT 'all',
    "filter_match" TEXT NOT NULL DEFAULT 'all',
    "frequency" INTEGER NOT NULL DEFAULT 30,
    "environment" TEXT,
    "conditions" JSONB NOT NULL DEFAULT '[]',
    "filters" JSONB NOT NULL DEFAULT '[]',
    "actions" JSONB NOT NULL DEFAULT '[]',
    "secret" TEXT,
    "owner_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_rule_firings" (
    "rule_id" INTEGER NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "last_fired_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "alert_rule_firings_pkey" PRIMARY KEY ("rule_id","issue_id")
);

-- CreateTable
CREATE TABLE "alert_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "rule_id" INTEGER NOT NULL,
    "issue_id" INTEGER,
    "event_id" TEXT,
    "action" JSONB NOT NULL,
    "test" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_status" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_attempt_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "alert_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "alert_rules_project_id_idx" ON "alert_rules"("project_id");

-- CreateIndex
CREATE INDEX "alert_rule_firings_issue_id_idx" ON "alert_rule_firings"("issue_id");

-- CreateIndex
CREATE INDEX "alert_deliveries_rule_id_created_at_idx" ON "alert_deliveries"("rule_id", "created_at");

-- CreateIndex
CREATE INDEX "alert_deliveries_status_created_at_idx" ON "alert_deliveries"("status", "created_at");

-- CreateIndex
CREATE INDEX "alert_deliveries_issue_id_idx" ON "alert_deliveries"("issue_id");

-- AddForeignKey
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_rule_firings" ADD CONSTRAINT "alert_rule_firings_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "alert_rules"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_rule_firings" ADD CONSTRAINT "alert_rule_firings_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "alert_rules"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."alert_rules" DROP CONSTRAINT "alert_rules_project_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."alert_rules" DROP CONSTRAINT "alert_rules_owner_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."alert_rule_firings" DROP CONSTRAINT "alert_rule_firings_rule_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."alert_rule_firings" DROP CONSTRAINT "alert_rule_firings_issue_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."alert_deliveries" DROP CONSTRAINT "alert_deliveries_rule_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."alert_deliveries" DROP CONSTRAINT "alert_deliveries_issue_id_fkey";

-- AlterTable
ALTER TABLE "public"."users" DROP COLUMN "alert_emails";

-- DropTable
DROP TABLE "public"."alert_rules";

-- DropTable
DROP TABLE "public"."alert_rule_firings";

-- DropTable
DROP TABLE "public"."alert_deliveries";
