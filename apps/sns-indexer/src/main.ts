import { exitOnSignals, loadConfig } from "@session/service-kit";
import { configFromEnv, envSchema } from "./config.ts";
import { startIndexer } from "./indexer.ts";

const config = configFromEnv(loadConfig(envSchema, { name: "sns-indexer", argv: process.argv.slice(2) }));
const indexer = await startIndexer(config);
exitOnSignals({ ...indexer.server, close: () => indexer.stop() }, indexer.logger);
