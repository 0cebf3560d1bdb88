// Entry point of `session group …` (bin/session.mjs routes here).
import { runToExit } from "./cli/run-to-exit.ts";
import { groupCli } from "./groups/cli.ts";

runToExit(groupCli(process.argv.slice(2)));
