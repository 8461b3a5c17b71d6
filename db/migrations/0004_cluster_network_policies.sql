CREATE TABLE `cluster_network_policies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`submitted` text NOT NULL,
	`spec` text NOT NULL,
	`revision` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cluster_network_policies_name_unique` ON `cluster_network_policies` (`name`);