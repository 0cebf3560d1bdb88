// `session-node` / `session-node start`: reads the configuration and runs the node until a signal.
import { createLogger, loadConfig } from "@session/service-kit";
import { configFromEnv, nodeEnvSchema } from "./config.ts";
import { startNode } from "./node.ts";

const argv = process.argv.slice(2);
const config = configFromEnv(
  loadConfig(nodeEnvSchema, {
    name: "session-node",
    argv: argv[0] === "start" ? argv.slice(1) : argv,
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
