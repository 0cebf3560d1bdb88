import {
  type Deployment,
  defaultDeployParams,
  deploySessionContracts,
  type InProcessChain,
  serviceNodeRegistryAbi,
  seshAbi,
  sessionNameServiceAbi,
  startInProcessChain,
} from "@session/contracts";
import {
  encryptNameRecord,
  generateSeed,
  keypairFromSeed,
  nameHashHex,
  signNodeRegistration,
  toHex,
} from "@session/crypto";
import { Contract, hexlify, randomBytes, type Signer } from "ethers";
import { type ChainClient, eip1193Transport, jsonRpcChainClient } from "../src/index.ts";

export interface Fixture {
  chain: InProcessChain;
  deployment: Deployment;
  admin: Signer;
  registry: Contract;
  names: Contract;
  sesh: Contract;
  requirement: bigint;
  /** Registers and fully stakes a node from `operatorIndex`; returns its Ed25519 key hex. */
  registerNode(opts?: {
    operatorIndex?: number;
    full?: boolean;
    ip?: number;
    port?: number;
  }): Promise<string>;
  registerName(name: string, sessionId: string, ownerIndex?: number): Promise<void>;
  mine(blocks: number): Promise<void>;
  /** The indexer's chain client straight on the in-process chain (no HTTP). */
  client(): ChainClient;
  close(): Promise<void>;
}

export async function chainFixture(): Promise<Fixture> {
  const chain = await startInProcessChain();
  const admin = await chain.signer(0);
  const params = defaultDeployParams(await admin.getAddress());
  const deployment = await deploySessionContracts(admin, params);
  const sesh = new Contract(deployment.sesh, seshAbi as never, admin);
  const registry = new Contract(deployment.serviceNodeRegistry, serviceNodeRegistryAbi as never, admin);
  const names = new Contract(deployment.sessionNameService, sessionNameServiceAbi as never, admin);
  const funded = new Set<number>();
  const signerFor = async (i: number) => {
    const s = await chain.signer(i);
    if (!funded.has(i)) {
      funded.add(i);
      if (i !== 0) await (await sesh.getFunction("transfer")(await s.getAddress(), 10n ** 15n)).wait();
      const t = sesh.connect(s) as Contract;
      await (await t.getFunction("approve")(deployment.serviceNodeRegistry, 2n ** 255n)).wait();
      await (await t.getFunction("approve")(deployment.sessionNameService, 2n ** 255n)).wait();
    }
    return s;
  };
  return {
    chain,
    deployment,
    admin,
    registry,
    names,
    sesh,
    requirement: params.stakingRequirement,
    async registerNode(opts = {}) {
      const s = await signerFor(opts.operatorIndex ?? 1);
      const keys = keypairFromSeed(generateSeed());
      const ip = opts.ip ?? 0x7f000001;
      const port = opts.port ?? 22000;
      const proof = signNodeRegistration(keys.ed25519.secretKey, {
        chainId: BigInt(deployment.chainId),
        registry: deployment.serviceNodeRegistry,
        operator: await s.getAddress(),
        ed25519: keys.ed25519.publicKey,
        x25519: keys.x25519.publicKey,
        ip,
        port,
      });
      const stake = opts.full === false ? params.stakingRequirement / 2n : params.stakingRequirement;
      const r = registry.connect(s) as Contract;
      const ed = `0x${toHex(keys.ed25519.publicKey)}`;
      await (
        await r.getFunction("registerNode")(
          ed,
          `0x${toHex(keys.x25519.publicKey)}`,
          ip,
          port,
          500,
          stake,
          proof,
        )
      ).wait();
      return ed.slice(2);
    },
    async registerName(name, sessionId, ownerIndex = 2) {
      const s = await signerFor(ownerIndex);
      const n = names.connect(s) as Contract;
      const hash = nameHashHex(name);
      const record = hexlify(encryptNameRecord(name, sessionId));
      const secret = hexlify(randomBytes(32));
      const owner = await s.getAddress();
      const commitment = await n.getFunction("makeCommitment")(hash, name.length, owner, record, secret);
      await (await n.getFunction("commit")(commitment)).wait();
      await chain.provider.send("evm_increaseTime", [61]);
      await (await n.getFunction("register")(hash, name.length, record, 1n, secret)).wait();
    },
    async mine(blocks) {
      for (let i = 0; i < blocks; i++) await chain.provider.send("evm_mine", []);
    },
    client: () => jsonRpcChainClient(eip1193Transport(chain.eip1193, { timeoutMs: 10_000 })),
    close: () => chain.close(),
  };
}
