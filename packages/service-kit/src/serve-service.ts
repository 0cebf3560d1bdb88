import type { Logger } from "pino";
import { runPeriodically } from "./periodic.ts";
import { exitOnSignals, type RunningServer, type StartServerOptions, startServer } from "./serve.ts";

export interface ServeServiceOptions extends StartServerOptions {
  /** Background work while the server runs (an expiry sweep); a failed run is logged, the next tick retries. */
  sweep?: { run: () => Promise<unknown>; intervalMs: number };
}

/**
 * A service's main: starts its sweep, listens, and on SIGTERM/SIGINT closes the server, stops the
 * sweep, then runs `onClose` (databases) and exits.
 */
export async function serveService(
  app: Parameters<typeof startServer>[0],
  logger: Logger,
  { sweep, onClose, ...listen }: ServeServiceOptions,
): Promise<RunningServer> {
  const sweeper =
    sweep && runPeriodically(sweep.run, sweep.intervalMs, (err) => logger.error({ err }, "sweep failed"));
  const server = await startServer(app, {
    ...listen,
    onClose: async () => {
      sweeper?.stop();
      await onClose?.();
    },
  });
  exitOnSignals(server, logger);
  return server;
}
