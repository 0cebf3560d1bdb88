import { loadExampleConfig } from "./config.ts";
import { runExample } from "./run.ts";

/*
 * `pnpm --filter @session/examples start:2fa`: the anonymous 2FA sender (src/api.ts has its API).
 * Env: SESSION_NETWORK, SESSION_DATA_DIR, PORT, HOST (src/config.ts).
 */
await runExample(loadExampleConfig({ example: "2fa" }));
