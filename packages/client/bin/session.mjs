#!/usr/bin/env node
// The `session` CLI. One process: tsx's loader is registered here and src/cli.ts imported, so a
// signal sent to this PID reaches the CLI itself (a child process would outlive a SIGTERM here).
import { register } from "tsx/esm/api";

// Subcommands with their own entry (src/community-main.ts, src/group-main.ts, src/name-main.ts):
// the subcommand is taken off argv before the entry reads it.
const ENTRIES = {
  community: "../src/community-main.ts",
  group: "../src/group-main.ts",
  name: "../src/name-main.ts",
};
const own = Object.hasOwn(ENTRIES, process.argv[2] ?? "") ? ENTRIES[process.argv[2]] : undefined;
if (own) process.argv.splice(2, 1);
register();
await import(own ?? "../src/cli.ts");
