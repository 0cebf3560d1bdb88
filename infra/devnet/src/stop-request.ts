/**
 * Calls `onStop` once when a stop is requested: SIGINT (Ctrl-C), SIGTERM, or the parent process
 * going away. The last one covers `kill -TERM <pid of pnpm start>`: pnpm exits on SIGTERM without
 * passing it on, and this process would otherwise keep the whole devnet running as an orphan.
 * A second signal while stopping exits at once with status 1 — unless it comes within
 * `duplicateMs` of the first: Ctrl-C under `pnpm start` delivers SIGINT twice (the terminal's to
 * the whole process group, and pnpm's forwarded copy), which is one request, not two.
 */
export function onStopRequest(onStop: () => void, checkParentMs = 500, duplicateMs = 1000): void {
  let requestedAt: number | undefined;
  const request = () => {
    if (requestedAt !== undefined) {
      if (Date.now() - requestedAt < duplicateMs) return;
      process.exit(1);
    }
    requestedAt = Date.now();
    clearInterval(parentWatch);
    onStop();
  };
  process.on("SIGINT", request);
  process.on("SIGTERM", request);
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent) request();
  }, checkParentMs);
  parentWatch.unref();
}
