/**
 * Runs a command-line entry to its end: exit 0 once it resolves; otherwise its error's message on
 * stderr as one `error: …` line (no stack trace) and exit 1. Exiting explicitly also ends a
 * command whose network handles would otherwise keep the process alive.
 */
export function runToExit(run: Promise<void>): void {
  run.then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
