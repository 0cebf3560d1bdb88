import { loadExampleConfig } from "./config.ts";
import { runExample } from "./run.ts";

/*
 * `pnpm --filter @session/examples start:broadcaster`: the notification bot. Users message it
 * "subscribe" / "stop"; the operator announces over HTTP (src/api.ts).
 * Env: SESSION_NETWORK, SESSION_DATA_DIR, PORT, HOST (src/config.ts).
 */
await runExample(loadExampleConfig({ example: "broadcaster" }));
