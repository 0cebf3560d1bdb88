// Entry point of `session community …` (bin/session.mjs routes here).
import { runToExit } from "./cli/run-to-exit.ts";
import { communityCli } from "./community-cli.ts";

runToExit(communityCli(process.argv.slice(2)));
