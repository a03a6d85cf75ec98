CREATE TABLE "archive_batches" (
	"batch_id" text PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"claimed_until" timestamp (3) with time zone NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"archived_at" timestamp (3) with time zone,
	"run_count" integer NOT NULL,
	"commit_seq_limit" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "checkpoints" ADD COLUMN "commit_seq" bigserial NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "archive_batch_id" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "archive_head_version" bigint;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "hot_purged_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_archive_batch_id_archive_batches_batch_id_fk" FOREIGN KEY ("archive_batch_id") REFERENCES "public"."archive_batches"("batch_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "runs_archive_batch_idx" ON "runs" USING btree ("archive_batch_id");--> statement-breakpoint
CREATE INDEX "runs_archive_pending_idx" ON "runs" USING btree ("completed_at","run_id","tenant_id") WHERE "runs"."completed_at" IS NOT NULL AND "runs"."archived_at" IS NULL AND "runs"."archive_batch_id" IS NULL;--> statement-breakpoint
CREATE INDEX "runs_hot_purge_idx" ON "runs" USING btree ("completed_at") WHERE "runs"."archived_at" IS NOT NULL AND "runs"."hot_purged_at" IS NULL;