CREATE TABLE `blocks` (
	`number` integer PRIMARY KEY NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`block_hash` text NOT NULL,
	`tx_hash` text NOT NULL,
	`contract` text NOT NULL,
	`name` text NOT NULL,
	`args` text NOT NULL,
	PRIMARY KEY(`block_number`, `log_index`)
);
--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
