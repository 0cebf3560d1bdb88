import { join, resolve } from "node:path";
import { startDevnet } from "./devnet.ts";

/*
 * `pnpm start`: the local network on loopback with a progress display, then a status table; stays
 * up until Ctrl-C. DEVNET_NODES (default 12), DEVNET_DATA_DIR (default .data/devnet, wiped at
 * start) and DEVNET_HTTP=1 (nodes on plain HTTP instead of HTTPS) configure it.
 */
const nodes = Number(process.env.DEVNET_NODES ?? 12);
if (!Number.isInteger(nodes) || nodes < 1 || nodes > 60) {
  process.stderr.write("DEVNET_NODES must be an integer from 1 to 60\n");
  process.exit(1);
}
const httpFlag = process.env.DEVNET_HTTP ?? "0";
if (httpFlag !== "0" && httpFlag !== "1") {
  process.stderr.write("DEVNET_HTTP must be 1 (nodes on plain HTTP) or 0 (HTTPS, the default)\n");
  process.exit(1);
}
const dataDir = resolve(
  process.env.DEVNET_DATA_DIR ?? join(process.cwd(), "..", "..", ".data", "devnet", String(Date.now())),
);
const tty = process.stdout.isTTY;
const bar = (done: number, total: number) => {
  const w = 24;
  const f = Math.round((done / total) * w);
  return `[${"#".repeat(f)}${"-".repeat(w - f)}] ${String(done).padStart(2)}/${total}`;
};
process.stdout.write(`Starting the Session devnet (${nodes} nodes) in ${dataDir}\n`);
const devnet = await startDevnet({
  nodes,
  http: httpFlag === "1",
  dataDir,
  onProgress: (step, done, total) => {
    const line = `${bar(done, total)} ${step}`;
    process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  },
});
if (tty) process.stdout.write("\n");

const rows = devnet
  .status()
  .map((n, i) => [
    String(i).padStart(2),
    n.url.padEnd(24),
    (n.swarm ?? "-").padEnd(16),
    `${n.pubkeyEd25519.slice(0, 16)}…`,
  ]);
process.stdout.write(
  [
    "",
    "Session devnet is up.",
    `  status page   ${devnet.statusUrl}`,
    `  seed          ${devnet.seed}`,
    devnet.nodeScheme === "https"
      ? "                (nodes serve HTTPS with self-signed certificates; the seed is pinned by its fingerprint)"
      : "                (nodes serve plain HTTP: DEVNET_HTTP=1)",
    `  chain RPC     ${devnet.chainUrl} (chain id ${devnet.deployment.chainId})`,
    `  indexer       ${devnet.indexerUrl}  (GET /v1/nodes, /v1/names/:hash, /openapi.json)`,
    devnet.fileServer ? `  file server   ${devnet.fileServer.url}  x25519 ${devnet.fileServer.x25519}` : "",
    devnet.communityServer ? `  community     ${devnet.communityServer.joinUrl}` : "",
    devnet.pushServer ? `  push server   ${devnet.pushServer.url}  (log notifier)` : "",
    "",
    " #  node                     swarm             ed25519",
    ...rows.map((r) => ` ${r.join(" ")}`),
    "",
    "Press Ctrl-C to stop.",
    "",
  ].join("\n"),
);

let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write("\nStopping the devnet…\n");
    devnet.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
