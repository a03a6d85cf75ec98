DROP INDEX "runs_tenant_parent_idx";--> statement-breakpoint
DROP INDEX "runs_tenant_user_idx";--> statement-breakpoint
CREATE INDEX "runs_tenant_parent_idx" ON "runs" USING btree ("tenant_id","parent_run_id","created_at","run_id") WHERE "runs"."parent_run_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "runs_tenant_user_idx" ON "runs" USING btree ("tenant_id","user_id") WHERE "runs"."user_id" IS NOT NULL;