// Copies Ignition's deployed addresses for a network into deployments/<network>.json, the file the
// other apps read (same shape as `Deployment` in src/deploy.ts).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const network = process.argv[2] ?? "localhost";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const deploymentsDir = join(root, "ignition", "deployments");
const chainDir = readdirSync(deploymentsDir).find((d) => d.startsWith("chain-"));
if (!chainDir) throw new Error(`no Ignition deployment under ${deploymentsDir}`);
const addresses = JSON.parse(readFileSync(join(deploymentsDir, chainDir, "deployed_addresses.json"), "utf8"));
const out = {
  chainId: Number(chainDir.slice("chain-".length)),
  sesh: addresses["Session#SESH"],
  serviceNodeRegistry: addresses["Session#ERC1967Proxy"],
  serviceNodeRegistryImplementation: addresses["Session#ServiceNodeRegistryImplementation"],
  sessionNameService: addresses["Session#SessionNameService"],
  deploymentBlock: 0,
};
mkdirSync(join(root, "deployments"), { recursive: true });
writeFileSync(join(root, "deployments", `${network}.json`), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote deployments/${network}.json`, out);
