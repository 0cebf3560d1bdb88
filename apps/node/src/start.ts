// `session-node` / `session-node start`: reads the configuration and runs the node until a signal.
import { createLogger, exitOnSignals, loadConfig } from "@session/service-kit";
import { startNodeCluster } from "./cluster/start.ts";
import { configFromEnv, nodeEnvSchema } from "./config.ts";

const argv = process.argv.slice(2);
const config = configFromEnv(
  loadConfig(nodeEnvSchema, {
    name: "session-node",
    argv: argv[0] === "start" ? argv.slice(1) : argv,
    flagAliases: { "data-dir": "SESSION_NODE_DATA_DIR", http: "SESSION_NODE_HTTP" },
  }),
);
const logger = createLogger({ name: "session-node", level: config.logLevel });
// SESSION_NODE_WORKERS processes (`auto`, the default: one per core); 1 runs everything in this process.
const node = await startNodeCluster(config, { logger });
exitOnSignals({ close: () => node.stop() }, logger);
