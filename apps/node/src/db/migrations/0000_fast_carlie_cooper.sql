CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`hash` text NOT NULL,
	`owner` text NOT NULL,
	`namespace` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`expiry` integer NOT NULL,
	`data` blob NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_hash_unique` ON `messages` (`hash`);--> statement-breakpoint
CREATE INDEX `messages_owner_ns` ON `messages` (`owner`,`namespace`,`id`);--> statement-breakpoint
CREATE INDEX `messages_expiry` ON `messages` (`expiry`);