#!/usr/bin/env -S npx tsx
import { createLogger, loadConfig } from "@session/service-kit";
import { configFromEnv, nodeEnvSchema } from "./config.ts";
import { startNode } from "./node.ts";

const config = configFromEnv(
  loadConfig(nodeEnvSchema, {
    name: "session-node",
    argv: process.argv.slice(2),
    flagAliases: { "data-dir": "SESSION_NODE_DATA_DIR", http: "SESSION_NODE_HTTP" },
  }),
);
const logger = createLogger({ name: "session-node", level: config.logLevel });
const node = await startNode(config, { logger });
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down: finishing requests in flight");
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: String(err) }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
