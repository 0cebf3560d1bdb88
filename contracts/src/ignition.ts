// One deployment path for every network: the Session Ignition module run by ignition-core with the
// committed artifacts (src/generated), then deployments/<network>.json built from its journal. The
// devnet (an in-process chain) and the testnet rehearsal (a JSON-RPC chain as Arbitrum Sepolia) both
// deploy through it; `hardhat ignition deploy` runs the same module from Hardhat's CLI.
import { mkdirSync, readFileSync } from "node:fs";
import {
  type Artifact,
  type ArtifactResolver,
  type DeploymentParameters,
  deploy,
  type EIP1193Provider,
  type ExecutionEventListener,
} from "@nomicfoundation/ignition-core";
import { buildDeploymentFile, type DeploymentFile } from "./deployment-file.ts";
import { eRC1967ProxyAbi, eRC1967ProxyBytecode } from "./generated/ERC1967Proxy.ts";
import { sESHAbi, sESHBytecode } from "./generated/SESH.ts";
import { serviceNodeRegistryAbi, serviceNodeRegistryBytecode } from "./generated/ServiceNodeRegistry.ts";
import { sessionNameServiceAbi, sessionNameServiceBytecode } from "./generated/SessionNameService.ts";
import SessionModule from "./session-module.ts";

const committed: Record<string, { sourceName: string; abi: readonly unknown[]; bytecode: string }> = {
  SESH: { sourceName: "contracts/SESH.sol", abi: sESHAbi, bytecode: sESHBytecode },
  ServiceNodeRegistry: {
    sourceName: "contracts/ServiceNodeRegistry.sol",
    abi: serviceNodeRegistryAbi,
    bytecode: serviceNodeRegistryBytecode,
  },
  SessionNameService: {
    sourceName: "contracts/SessionNameService.sol",
    abi: sessionNameServiceAbi,
    bytecode: sessionNameServiceBytecode,
  },
  ERC1967Proxy: {
    sourceName: "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol",
    abi: eRC1967ProxyAbi,
    bytecode: eRC1967ProxyBytecode,
  },
};

/** Ignition's artifact resolver over src/generated (no compiler, no Hardhat runtime). */
export const committedArtifacts: ArtifactResolver = {
  async loadArtifact(contractName: string): Promise<Artifact> {
    const c = committed[contractName];
    if (!c) throw new Error(`no committed artifact for ${contractName} (run pnpm export-abis)`);
    return {
      _format: "hh3-artifact-1",
      contractName,
      sourceName: c.sourceName,
      abi: [...c.abi],
      bytecode: c.bytecode,
      deployedBytecode: "0x",
      linkReferences: {},
      deployedLinkReferences: {},
    };
  },
  async getBuildInfo() {
    return undefined;
  },
};

export interface DeployWithIgnitionOptions {
  /** The chain, as an EIP-1193 provider whose accounts can sign (an in-process chain, or a node's RPC). */
  provider: EIP1193Provider;
  /** Ignition's deployment directory: its journal makes redeploying idempotent. */
  deploymentDir: string;
  /** The deployment file's network name. */
  network: string;
  /** Module parameters: an object, or the path of a parameters file such as ignition/parameters/arbitrumSepolia.json. */
  parameters?: DeploymentParameters | string;
  /** The deployer (default: the provider's first account). */
  from?: string;
  /** Called for each future as it completes (progress display). */
  onFuture?: (futureId: string) => void;
}

/** Parses an Ignition parameters file ("123n" strings are bigints, as Hardhat's loader reads them). */
export function readIgnitionParameters(path: string): DeploymentParameters {
  return JSON.parse(readFileSync(path, "utf8"), (_k, v) =>
    typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as DeploymentParameters;
}

/**
 * Deploys (or resumes, or confirms) the Session module and returns its deployment file. Throws with
 * Ignition's reasons when the deployment fails or is left waiting.
 */
export async function deployWithIgnition(opts: DeployWithIgnitionOptions): Promise<DeploymentFile> {
  const accounts = (await opts.provider.request({ method: "eth_accounts" })) as string[];
  const from = opts.from ?? accounts[0];
  if (!from) throw new Error("the provider has no account to deploy from");
  const chainId = Number(await opts.provider.request({ method: "eth_chainId" }));
  mkdirSync(opts.deploymentDir, { recursive: true });
  const parameters =
    typeof opts.parameters === "string" ? readIgnitionParameters(opts.parameters) : (opts.parameters ?? {});
  const result = await deploy({
    artifactResolver: committedArtifacts,
    provider: opts.provider,
    deploymentDir: opts.deploymentDir,
    ignitionModule: SessionModule,
    deploymentParameters: parameters,
    accounts,
    defaultSender: from,
    config: { requiredConfirmations: 1 },
    ...(opts.onFuture ? { executionEventListener: futureListener(opts.onFuture) } : {}),
  });
  if (result.type !== "SUCCESSFUL_DEPLOYMENT")
    throw new Error(`Ignition deployment did not succeed: ${JSON.stringify(result, bigintJson)}`);
  return buildDeploymentFile(opts.network, opts.deploymentDir, chainId);
}

/** An execution event listener that reports completed futures and ignores every other event. */
function futureListener(onFuture: (futureId: string) => void): ExecutionEventListener {
  return new Proxy({} as ExecutionEventListener, {
    get: (_t, name) => async (e: { futureId?: string }) => {
      if (name === "deploymentExecutionStateComplete" && e.futureId) onFuture(e.futureId);
    },
  });
}

const bigintJson = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);
