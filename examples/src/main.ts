import { loadExampleConfig } from "./config.ts";
import { runExample } from "./run.ts";

/*
 * The image's entry point (infra/docker/Dockerfile runs dist/main.js): EXAMPLE=2fa|broadcaster
 * picks the service; the rest of the environment is src/config.ts's.
 */
await runExample(loadExampleConfig());
