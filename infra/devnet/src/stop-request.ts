/**
 * Calls `onStop` once when a stop is requested: SIGINT (Ctrl-C), SIGTERM, or the parent process
 * going away. The last one covers `kill -TERM <pid of pnpm start>`: pnpm exits on SIGTERM without
 * passing it on, and this process would otherwise keep the whole devnet running as an orphan.
 * A second signal while stopping exits at once with status 1.
 */
export function onStopRequest(onStop: () => void, checkParentMs = 500): void {
  let requested = false;
  const request = () => {
    if (requested) process.exit(1);
    requested = true;
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
