// The devnet's chain: an in-process Hardhat (EDR) chain served over JSON-RPC, with the Session
// contracts deployed the way a testnet deployment is (contracts/src/ignition.ts).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { defaultDeployParams, type InProcessChain, startInProcessChain } from "@session/contracts";
import type { DeploymentFile } from "@session/contracts/deployment-file";
import { deployWithIgnition } from "@session/contracts/ignition";
import type { Cleanups } from "./child-services.ts";

export interface DevnetChain {
  chain: InProcessChain;
  chainUrl: string;
  /** Account 0: deploys, and funds the node operators. */
  admin: Awaited<ReturnType<InProcessChain["signer"]>>;
  params: ReturnType<typeof defaultDeployParams>;
  /** What the Ignition deployment wrote to `deploymentFile`. */
  deployment: DeploymentFile;
  /** `<dataDir>/deployments/devnet.json`: addresses, chain id, deployment block. */
  deploymentFile: string;
}

/** Starts the chain (stopped through `cleanups`) and deploys the contracts on it. */
export async function startDevnetChain(dataDir: string, cleanups: Cleanups): Promise<DevnetChain> {
  const chain = await startInProcessChain();
  cleanups.push(() => chain.close());
  const chainUrl = await chain.serve();
  const admin = await chain.signer(0);
  const params = defaultDeployParams(await admin.getAddress());
  // The Session Ignition module, then the deployment file from its journal. The chain is new on
  // every start, so is the journal.
  const ignitionDir = join(dataDir, "ignition", "devnet");
  rmSync(ignitionDir, { recursive: true, force: true });
  const deployment = await deployWithIgnition({
    provider: chain.eip1193 as never,
    deploymentDir: ignitionDir,
    network: "devnet",
    parameters: {
      Session: {
        admin: params.admin,
        treasury: params.treasury,
        totalSupply: params.totalSupply,
        stakingRequirement: params.stakingRequirement,
        exitDelaySeconds: params.exitDelaySeconds,
        liquidationPenaltyBps: params.liquidationPenaltyBps,
        rewardRatePerSecond: params.rewardRatePerSecond,
        namePrices: params.namePrices,
      },
    },
  });
  // The deployment file the indexer starts from, and that a CLI or an operator can be pointed at.
  const deploymentFile = join(dataDir, "deployments", "devnet.json");
  mkdirSync(dirname(deploymentFile), { recursive: true });
  writeFileSync(deploymentFile, `${JSON.stringify(deployment, null, 2)}\n`);
  return { chain, chainUrl, admin, params, deployment, deploymentFile };
}
