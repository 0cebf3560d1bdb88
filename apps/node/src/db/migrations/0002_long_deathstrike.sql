CREATE TABLE `tombstones` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`owner` text NOT NULL,
	`request` text NOT NULL,
	`keep_until` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tombstones_key_unique` ON `tombstones` (`key`);--> statement-breakpoint
CREATE INDEX `tombstones_owner` ON `tombstones` (`owner`);--> statement-breakpoint
CREATE INDEX `tombstones_keep_until` ON `tombstones` (`keep_until`);