import { SingleFlight } from "./single-flight.ts";

interface PeriodicTask {
  /** Stops the timer (a run in progress goes on to its end). */
  stop(): void;
}

/**
 * Runs `task` every `intervalMs` (an expiry sweep, a cleanup), never two runs at once: a tick
 * that comes while the previous run still goes is skipped. A failed run is handed to `onError`
 * and the next tick tries again.
 *
 * @example
 * const sweeper = runPeriodically(() => repo.sweep(), 60_000, (err) => logger.error({ err }, "sweep failed"));
 * // on close:
 * sweeper.stop();
 */
export function runPeriodically(
  task: () => Promise<unknown>,
  intervalMs: number,
  onError: (err: unknown) => void,
): PeriodicTask {
  const runs = new SingleFlight(task);
  const timer = setInterval(() => {
    runs.run().catch(onError);
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
