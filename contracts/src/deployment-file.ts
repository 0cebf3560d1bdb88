// Builds deployments/<network>.json from an Ignition deployment directory: addresses, chain id, the
// block each contract was deployed in (from the journal's transaction receipts) and ABI hashes
// (keccak256 of the artifact's ABI JSON, so apps can tell a stale ABI from the deployed one).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import type { Deployment } from "./deploy.ts";

/** Ignition future ids of the Session module → keys of the deployment file. */
const FUTURES = {
  sesh: "Session#SESH",
  serviceNodeRegistry: "Session#ERC1967Proxy",
  serviceNodeRegistryImplementation: "Session#ServiceNodeRegistryImplementation",
  sessionNameService: "Session#SessionNameService",
} as const;

/** A deployment's addresses and start block, with the network's name and each contract's block and ABI hash. */
export interface DeploymentFile extends Deployment {
  network: string;
  blocks: Record<keyof typeof FUTURES, number>;
  abiHashes: Record<keyof typeof FUTURES, string>;
}

/** The default Ignition deployment id for a chain. */
export const deploymentIdFor = (chainId: number) => `chain-${chainId}`;

export function buildDeploymentFile(network: string, deploymentDir: string, chainId: number): DeploymentFile {
  const addressesPath = join(deploymentDir, "deployed_addresses.json");
  const journalPath = join(deploymentDir, "journal.jsonl");
  if (!existsSync(addressesPath) || !existsSync(journalPath))
    throw new Error(`no complete Ignition deployment in ${deploymentDir}`);
  const addresses = JSON.parse(readFileSync(addressesPath, "utf8")) as Record<string, string>;
  const creationBlock = new Map<string, number>();
  for (const line of readFileSync(journalPath, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as { type?: string; futureId?: string; receipt?: { blockNumber?: number } };
    if (m.type === "TRANSACTION_CONFIRM" && m.futureId && typeof m.receipt?.blockNumber === "number") {
      const prev = creationBlock.get(m.futureId);
      if (prev === undefined || m.receipt.blockNumber < prev)
        creationBlock.set(m.futureId, m.receipt.blockNumber);
    }
  }
  const blocks = {} as DeploymentFile["blocks"];
  const abiHashes = {} as DeploymentFile["abiHashes"];
  const out = { network, chainId } as DeploymentFile;
  for (const [key, futureId] of Object.entries(FUTURES) as [keyof typeof FUTURES, string][]) {
    const address = addresses[futureId];
    const block = creationBlock.get(futureId);
    if (!address || block === undefined)
      throw new Error(`${futureId} is not deployed (or confirmed) in ${deploymentDir}`);
    out[key] = address;
    blocks[key] = block;
    const artifact = JSON.parse(readFileSync(join(deploymentDir, "artifacts", `${futureId}.json`), "utf8"));
    abiHashes[key] = keccak256(toUtf8Bytes(JSON.stringify(artifact.abi)));
  }
  return { ...out, deploymentBlock: Math.min(...Object.values(blocks)), blocks, abiHashes };
}
