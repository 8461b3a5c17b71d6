ALTER TABLE `webhook_receivers` ADD `generation` integer;--> statement-breakpoint
ALTER TABLE `webhook_receivers` ADD `signed_at` integer;