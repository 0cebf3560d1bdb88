import { ContractFactory, type ContractRunner, Interface, type Signer } from "ethers";
import { eRC1967ProxyAbi, eRC1967ProxyBytecode } from "./generated/ERC1967Proxy.ts";
import { sESHAbi, sESHBytecode } from "./generated/SESH.ts";
import { serviceNodeRegistryAbi, serviceNodeRegistryBytecode } from "./generated/ServiceNodeRegistry.ts";
import { sessionNameServiceAbi, sessionNameServiceBytecode } from "./generated/SessionNameService.ts";

export interface DeployParams {
  /** Receives the whole SESH supply and name-registration payments. */
  treasury: string;
  /** Admin of the registry (roles, upgrades) and the name service. */
  admin: string;
  totalSupply: bigint;
  stakingRequirement: bigint;
  exitDelaySeconds: bigint;
  liquidationPenaltyBps: bigint;
  rewardRatePerSecond: bigint;
  /** Yearly name prices for lengths 1, 2, 3, 4 and 5+. */
  namePrices: [bigint, bigint, bigint, bigint, bigint];
}

export interface Deployment {
  chainId: number;
  sesh: string;
  serviceNodeRegistry: string;
  serviceNodeRegistryImplementation: string;
  sessionNameService: string;
  /** Block of the first deployment transaction: where an indexer starts its backfill. */
  deploymentBlock: number;
}

/** Devnet defaults: 9-decimal amounts. */
export const defaultDeployParams = (admin: string, treasury = admin): DeployParams => ({
  treasury,
  admin,
  totalSupply: 240_000_000n * 10n ** 9n,
  stakingRequirement: 20_000n * 10n ** 9n,
  exitDelaySeconds: 30n * 24n * 3600n,
  liquidationPenaltyBps: 1000n,
  rewardRatePerSecond: 10n ** 9n,
  namePrices: [5000n * 10n ** 9n, 1000n * 10n ** 9n, 200n * 10n ** 9n, 50n * 10n ** 9n, 10n * 10n ** 9n],
});

/**
 * Deploys SESH, the staking registry (behind an ERC-1967 UUPS proxy) and the name service with
 * `signer`, from the committed artifacts: no Hardhat needed (the devnet and indexer tests use it
 * against an in-process chain).
 */
export async function deploySessionContracts(signer: Signer, params: DeployParams): Promise<Deployment> {
  const provider = signer.provider;
  if (!provider) throw new Error("signer has no provider");
  const deploymentBlock = await provider.getBlockNumber();
  const sesh = await new ContractFactory(sESHAbi, sESHBytecode, signer).deploy(
    params.treasury,
    params.totalSupply,
  );
  await sesh.waitForDeployment();
  const impl = await new ContractFactory(
    serviceNodeRegistryAbi,
    serviceNodeRegistryBytecode,
    signer,
  ).deploy();
  await impl.waitForDeployment();
  const init = new Interface(serviceNodeRegistryAbi).encodeFunctionData("initialize", [
    params.admin,
    await sesh.getAddress(),
    params.stakingRequirement,
    params.exitDelaySeconds,
    params.liquidationPenaltyBps,
    params.rewardRatePerSecond,
  ]);
  const proxy = await new ContractFactory(eRC1967ProxyAbi, eRC1967ProxyBytecode, signer).deploy(
    await impl.getAddress(),
    init,
  );
  await proxy.waitForDeployment();
  const sns = await new ContractFactory(sessionNameServiceAbi, sessionNameServiceBytecode, signer).deploy(
    await sesh.getAddress(),
    params.treasury,
    params.admin,
    params.namePrices,
  );
  await sns.waitForDeployment();
  const { chainId } = await provider.getNetwork();
  return {
    chainId: Number(chainId),
    sesh: await sesh.getAddress(),
    serviceNodeRegistry: await proxy.getAddress(),
    serviceNodeRegistryImplementation: await impl.getAddress(),
    sessionNameService: await sns.getAddress(),
    deploymentBlock: deploymentBlock + 1,
  };
}

export type { ContractRunner };
