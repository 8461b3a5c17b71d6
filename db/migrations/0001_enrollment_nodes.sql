CREATE TABLE `enrollment_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`description` text NOT NULL,
	`secret_hash` text NOT NULL,
	`expires_at` text NOT NULL,
	`max_uses` integer NOT NULL,
	`uses` integer DEFAULT 0 NOT NULL,
	`allow_reenroll` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE TABLE `nodes` (
	`name` text PRIMARY KEY NOT NULL,
	`credential_id` text NOT NULL,
	`credential_hash` text NOT NULL,
	`enrolled_at` text NOT NULL,
	`enrollment_token_id` text,
	`last_seen_at` text,
	`agent_version` text,
	`features` text DEFAULT '{}' NOT NULL,
	`applied_revision` integer,
	`endpoints_attached` integer,
	`last_error` text,
	`credential_rotated_at` text
);
