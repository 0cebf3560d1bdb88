// Entry point of `session name …` (bin/session.mjs routes here).
import { runToExit } from "./cli/run-to-exit.ts";
import { nameCli } from "./name-cli.ts";

runToExit(nameCli(process.argv.slice(2)));
