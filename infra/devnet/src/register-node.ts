import { serviceNodeRegistryAbi, seshAbi } from "@session/contracts";
import { signNodeRegistration, toHex } from "@session/crypto";
import { Contract, type Signer } from "ethers";

/** The fee every devnet node registers with (basis points). */
const DEVNET_FEE_BPS = 500;
/** 127.0.0.1, as the registry stores an IPv4 address. */
const LOOPBACK = 0x7f000001;

/**
 * Stakes and registers one node on the devnet chain, as its operator would: the admin funds the
 * operator with `stake` SESH, the operator approves the registry for it, and registers the node
 * with the node key's signed proof (the registry verifies it on-chain). The node is on 127.0.0.1.
 */
export async function stakeAndRegisterNode(o: {
  deployment: { sesh: string; serviceNodeRegistry: string; chainId: number | bigint };
  admin: Signer;
  operator: Signer;
  stake: bigint;
  keys: { ed25519: { publicKey: Uint8Array; secretKey: Uint8Array }; x25519: { publicKey: Uint8Array } };
  port: number;
}): Promise<void> {
  const { deployment, operator, stake, keys, port } = o;
  const operatorAddress = await operator.getAddress();
  const sesh = new Contract(deployment.sesh, seshAbi as never, o.admin);
  await (await sesh.getFunction("transfer")(operatorAddress, stake)).wait();
  const opSesh = new Contract(deployment.sesh, seshAbi as never, operator);
  await (await opSesh.getFunction("approve")(deployment.serviceNodeRegistry, stake)).wait();
  const proof = signNodeRegistration(keys.ed25519.secretKey, {
    chainId: BigInt(deployment.chainId),
    registry: deployment.serviceNodeRegistry,
    operator: operatorAddress,
    ed25519: keys.ed25519.publicKey,
    x25519: keys.x25519.publicKey,
    ip: LOOPBACK,
    port,
  });
  const registry = new Contract(deployment.serviceNodeRegistry, serviceNodeRegistryAbi as never, operator);
  await (
    await registry.getFunction("registerNode")(
      `0x${toHex(keys.ed25519.publicKey)}`,
      `0x${toHex(keys.x25519.publicKey)}`,
      LOOPBACK,
      port,
      DEVNET_FEE_BPS,
      stake,
      proof,
    )
  ).wait();
}
