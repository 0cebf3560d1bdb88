#!/usr/bin/env node
// The `session` CLI. One process: tsx's loader is registered here and src/cli.ts imported, so a
// signal sent to this PID reaches the CLI itself (a child process would outlive a SIGTERM here).
import { register } from "tsx/esm/api";

// `session community …` has its own entry (src/community-main.ts): the subcommand is taken off argv.
const community = process.argv[2] === "community";
if (community) process.argv.splice(2, 1);
register();
await import(community ? "../src/community-main.ts" : "../src/cli.ts");
