import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Devnet, startDevnet } from "./devnet.ts";
import { envLine } from "./env-line.ts";
import { onStopRequest } from "./stop-request.ts";

/*
 * `pnpm start`: the local network on loopback with a progress display, then a status table; stays
 * up until Ctrl-C or SIGTERM, then stops every service and child process and exits 0.
 * DEVNET_NODES (default 12), DEVNET_DATA_DIR (default .data/devnet/<timestamp>) and DEVNET_HTTP=1
 * (nodes on plain HTTP instead of HTTPS) configure it; `--fresh` deletes earlier runs' folders under
 * .data/devnet first, `--keep` keeps this run's folder after the stop (it is deleted otherwise).
 */
const args = process.argv.slice(2).filter((a) => a !== "--");
const unknown = args.filter((a) => a !== "--fresh" && a !== "--keep");
if (unknown.length > 0) {
  process.stderr.write(`unknown argument ${unknown[0]} (expected --fresh and/or --keep)\n`);
  process.exit(1);
}
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
const runsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", ".data", "devnet");
if (args.includes("--fresh")) rmSync(runsDir, { recursive: true, force: true });
const dataDir = resolve(
  process.env.DEVNET_DATA_DIR ?? join(runsDir, new Date().toISOString().replace(/[:.]/g, "-")),
);
const keep = args.includes("--keep") || process.env.DEVNET_DATA_DIR !== undefined;

// Installed before anything starts: a stop requested during start-up stops what has started.
let devnet: Devnet | undefined;
let stopRequested = false;
const stop = async () => {
  await devnet?.stop();
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
};
onStopRequest(() => {
  stopRequested = true;
  process.stdout.write("\nStopping the devnet…\n");
  if (!devnet) return; // start-up finishes, then sees stopRequested
  stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
const tty = process.stdout.isTTY;
const bar = (done: number, total: number) => {
  const w = 24;
  const f = Math.round((done / total) * w);
  return `[${"#".repeat(f)}${"-".repeat(w - f)}] ${String(done).padStart(2)}/${total}`;
};
process.stdout.write(`Starting the Session devnet (${nodes} nodes) in ${dataDir}\n`);
devnet = await startDevnet({
  nodes,
  http: httpFlag === "1",
  dataDir,
  onProgress: (step, done, total) => {
    const line = `${bar(done, total)} ${step}`;
    process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  },
});
if (tty) process.stdout.write("\n");
if (stopRequested) {
  await stop();
  process.exit(0);
}

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
    `  SESH          ${devnet.deployment.sesh}`,
    `  registry      ${devnet.deployment.serviceNodeRegistry}  (ServiceNodeRegistry proxy)`,
    `  names         ${devnet.deployment.sessionNameService}  (SessionNameService)`,
    `  deployment    ${devnet.deploymentFile}  (SESSION_NODE_DEPLOYMENT_FILE, SESSION_DEPLOYMENT_FILE)`,
    `  indexer       ${devnet.indexerUrl}  (GET /v1/nodes, /v1/names/:hash, /openapi.json)`,
    devnet.fileServer ? `  file server   ${devnet.fileServer.url}  x25519 ${devnet.fileServer.x25519}` : "",
    devnet.communityServer ? `  community     ${devnet.communityServer.joinUrl}` : "",
    devnet.pushServer ? `  push server   ${devnet.pushServer.url}  (log notifier)` : "",
    "",
    " #  node                     swarm             ed25519",
    ...rows.map((r) => ` ${r.join(" ")}`),
    "",
    "Point the session CLI at this devnet (no flags needed afterwards):",
    `  ${envLine(devnet)}`,
    "",
    "Press Ctrl-C to stop.",
    "",
  ].join("\n"),
);
