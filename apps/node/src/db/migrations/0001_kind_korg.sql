CREATE TABLE `revoked_subaccounts` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner` text NOT NULL,
	`token` blob NOT NULL,
	`revoked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `revoked_subaccounts_owner_token` ON `revoked_subaccounts` (`owner`,`token`);