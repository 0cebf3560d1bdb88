/**
 * A task that runs once at a time: `run()` while a run is in progress joins it (same promise)
 * instead of starting a second one, so timers and events that ask for the same work overlap
 * harmlessly.
 *
 * @example
 * const flushes = new SingleFlight(() => flushQueue());
 * setInterval(() => void flushes.run().catch(logError), 1000);
 * await flushes.settled(); // on shutdown
 */
export class SingleFlight<T> {
  private running: Promise<T> | undefined;

  constructor(private readonly task: () => Promise<T>) {}

  /** The run in progress, or a new one. */
  run(): Promise<T> {
    this.running ??= this.task().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves once the run in progress, if any, has ended (it never rejects). */
  async settled(): Promise<void> {
    await this.running?.catch(() => {});
  }
}
