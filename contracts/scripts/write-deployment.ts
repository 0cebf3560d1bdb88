// Writes deployments/<network>.json from Ignition's deployment for that network:
//   tsx scripts/write-deployment.ts <network> <chainId> [deploymentId]
// (deploymentId defaults to Ignition's chain-<chainId>).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeploymentFile, deploymentIdFor } from "../src/deployment-file.ts";

const [network, chainIdArg, deploymentId] = process.argv.slice(2);
const chainId = Number(chainIdArg);
if (!network || !Number.isSafeInteger(chainId) || chainId <= 0) {
  console.error("usage: write-deployment.ts <network> <chainId> [deploymentId]");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "ignition", "deployments", deploymentId ?? deploymentIdFor(chainId));
const out = buildDeploymentFile(network, dir, chainId);
mkdirSync(join(root, "deployments"), { recursive: true });
writeFileSync(join(root, "deployments", `${network}.json`), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote deployments/${network}.json`, out);
