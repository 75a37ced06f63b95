-- migrate:up
-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "current_period_end" TIMESTAMPTZ(3),
ADD COLUMN     "last_stripe_event_at" TIMESTAMPTZ(3),
ADD COLUMN     "last_stripe_event_id" TEXT,
ADD COLUMN     "on_demand_budget_cents" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "past_due_since" TIMESTAMPTZ(3),
ADD COLUMN     "stripe_customer_id" TEXT,
ADD COLUMN     "stripe_subscription_id" TEXT,
ADD COLUMN     "subscription_status" TEXT;

-- CreateTable
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "org_id" INTEGER,
    "result" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "quota_notices" (
    "org_id" INTEGER NOT NULL,
    "period" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "quota_notices_pkey" PRIMARY KEY ("org_id","period","threshold")
);

-- CreateTable
CREATE TABLE "overage_reports" (
    "org_id" INTEGER NOT NULL,
    "period" TEXT NOT NULL,
    "chunk" INTEGER NOT NULL,
    "quantity" INTEGER NOT NULL,
    "identifier" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reported_at" TIMESTAMPTZ(3),

    CONSTRAINT "overage_reports_pkey" PRIMARY KEY ("org_id","period","chunk")
);

-- CreateIndex
CREATE INDEX "stripe_events_processed_at_idx" ON "stripe_events"("processed_at");

-- CreateIndex
CREATE UNIQUE INDEX "overage_reports_identifier_key" ON "overage_reports"("identifier");

-- CreateIndex
CREATE UNIQUE INDEX "organizations_stripe_customer_id_key" ON "organizations"("stripe_customer_id");

-- AddForeignKey
ALTER TABLE "stripe_events" ADD CONSTRAINT "stripe_events_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quota_notices" ADD CONSTRAINT "quota_notices_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "overage_reports" ADD CONSTRAINT "overage_reports_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- migrate:down
-- DropForeignKey
ALTER TABLE "public"."stripe_events" DROP CONSTRAINT "stripe_events_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."quota_notices" DROP CONSTRAINT "quota_notices_org_id_fkey";

-- DropForeignKey
ALTER TABLE "public"."overage_reports" DROP CONSTRAINT "overage_reports_org_id_fkey";

-- DropIndex
DROP INDEX "public"."organizations_stripe_customer_id_key";

-- AlterTable
ALTER TABLE "public"."organizations" DROP COLUMN "current_period_end",
DROP COLUMN "last_stripe_event_at",
DROP COLUMN "last_stripe_event_id",
DROP COLUMN "on_demand_budget_cents",
DROP COLUMN "past_due_since",
DROP COLUMN "stripe_customer_id",
DROP COLUMN "stripe_subscription_id",
DROP COLUMN "subscription_status";

-- DropTable
DROP TABLE "public"."stripe_events";

-- DropTable
DROP TABLE "public"."quota_notices";

-- DropTable
DROP TABLE "public"."overage_reports";
