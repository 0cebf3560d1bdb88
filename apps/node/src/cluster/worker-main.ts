// A cluster worker's process (src/cluster/start.ts forks it): its settings come in its environment.
import { WORKER_ENV, type WorkerSettings } from "./protocol.ts";
import { runWorker } from "./worker.ts";

const settings = process.env[WORKER_ENV];
if (!settings) throw new Error(`${WORKER_ENV} is not set: this file is started by startNodeCluster`);
await runWorker(JSON.parse(settings) as WorkerSettings);
