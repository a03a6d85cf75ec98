CREATE TABLE "api_keys" (
	"key_hash" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"tenant_id" text NOT NULL,
	"run_id" text NOT NULL,
	"version" bigint NOT NULL,
	"checkpoint" text NOT NULL,
	"hash" text NOT NULL,
	"encoding" text NOT NULL,
	"payload" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"saved_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "checkpoints_tenant_id_run_id_version_pk" PRIMARY KEY("tenant_id","run_id","version")
);
--> statement-breakpoint
CREATE TABLE "idempotency_records" (
	"tenant_id" text NOT NULL,
	"run_id" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"receipt" jsonb NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "idempotency_records_tenant_id_run_id_key_pk" PRIMARY KEY("tenant_id","run_id","key")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"tenant_id" text NOT NULL,
	"run_id" text NOT NULL,
	"agent_name" text NOT NULL,
	"parent_run_id" text,
	"thread_id" text,
	"user_id" text,
	"status" text NOT NULL,
	"durable_version" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone,
	"archived_at" timestamp (3) with time zone,
	"model" text,
	"input_tokens" bigint,
	"output_tokens" bigint,
	"cost_usd" numeric,
	CONSTRAINT "runs_tenant_id_run_id_pk" PRIMARY KEY("tenant_id","run_id"),
	CONSTRAINT "runs_status_check" CHECK ("runs"."status" in ('running', 'paused', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"plan" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_plan_check" CHECK ("tenants"."plan" in ('free', 'early', 'mid', 'enterprise'))
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_tenant_id_run_id_runs_tenant_id_run_id_fk" FOREIGN KEY ("tenant_id","run_id") REFERENCES "public"."runs"("tenant_id","run_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_records" ADD CONSTRAINT "idempotency_records_tenant_id_run_id_runs_tenant_id_run_id_fk" FOREIGN KEY ("tenant_id","run_id") REFERENCES "public"."runs"("tenant_id","run_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "runs_tenant_created_idx" ON "runs" USING btree ("tenant_id","created_at","run_id");--> statement-breakpoint
CREATE INDEX "runs_tenant_status_idx" ON "runs" USING btree ("tenant_id","status","created_at","run_id");--> statement-breakpoint
CREATE INDEX "runs_tenant_agent_idx" ON "runs" USING btree ("tenant_id","agent_name","created_at","run_id");--> statement-breakpoint
CREATE INDEX "runs_tenant_parent_idx" ON "runs" USING btree ("tenant_id","parent_run_id","created_at","run_id");--> statement-breakpoint
CREATE INDEX "runs_tenant_user_idx" ON "runs" USING btree ("tenant_id","user_id");