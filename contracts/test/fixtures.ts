import { fromHex, keypairFromSeed, signNodeRegistration, toHex } from "@session/crypto";
import type { Addressable } from "ethers";
import { network } from "hardhat";

export const { ethers, networkHelpers } = await network.getOrCreate();

export const SUPPLY = 240_000_000n * 10n ** 9n;
export const REQUIREMENT = 20_000n * 10n ** 9n;
export const EXIT_DELAY = 30n * 24n * 3600n;
export const PENALTY_BPS = 1000n;
export const RATE = 10n ** 9n; // 1 SESH per second across the network
export const PRICES: [bigint, bigint, bigint, bigint, bigint] = [
  5000n * 10n ** 9n,
  1000n * 10n ** 9n,
  200n * 10n ** 9n,
  50n * 10n ** 9n,
  10n * 10n ** 9n,
];

/** Node key pair number `n` (seed = n as 32 bytes): real Ed25519 keys, so proofs can be signed. */
export function nodeKeys(n: number) {
  return keypairFromSeed(fromHex(ethers.zeroPadValue(ethers.toBeHex(n), 32).slice(2)));
}

/** The Ed25519 public key of node `n`, as bytes32 hex. */
export function key(n: number): string {
  return `0x${toHex(nodeKeys(n).ed25519.publicKey)}`;
}

/** Node `n`'s signature over the registry's registration message for `operator` and the endpoint. */
export async function proof(
  registry: Addressable,
  operator: Addressable,
  n: number,
  x25519: string,
  ip: number,
  port: number,
): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  const sig = signNodeRegistration(nodeKeys(n).ed25519.secretKey, {
    chainId,
    registry: await registry.getAddress(),
    operator: await operator.getAddress(),
    ed25519: nodeKeys(n).ed25519.publicKey,
    x25519: fromHex(x25519.slice(2)),
    ip,
    port,
  });
  return `0x${toHex(sig)}`;
}

export async function deployAll() {
  const [admin, treasury, op, c1, c2, other, ...rest] = await ethers.getSigners();
  const sesh = await ethers.deployContract("SESH", [treasury!.address, SUPPLY]);
  const impl = await ethers.deployContract("ServiceNodeRegistry");
  const init = impl.interface.encodeFunctionData("initialize", [
    admin!.address,
    await sesh.getAddress(),
    REQUIREMENT,
    EXIT_DELAY,
    PENALTY_BPS,
    RATE,
  ]);
  const proxy = await ethers.deployContract("ERC1967Proxy", [await impl.getAddress(), init]);
  const registry = await ethers.getContractAt("ServiceNodeRegistry", await proxy.getAddress());
  const sns = await ethers.deployContract("SessionNameService", [
    await sesh.getAddress(),
    treasury!.address,
    admin!.address,
    PRICES,
  ]);
  // Hand out tokens and approvals.
  for (const s of [admin!, op!, c1!, c2!, other!, ...rest.slice(0, 8)]) {
    await sesh.connect(treasury!).transfer(s.address, 1_000_000n * 10n ** 9n);
    await sesh.connect(s).approve(await registry.getAddress(), ethers.MaxUint256);
    await sesh.connect(s).approve(await sns.getAddress(), ethers.MaxUint256);
  }
  return {
    sesh,
    registry,
    sns,
    impl,
    admin: admin!,
    treasury: treasury!,
    op: op!,
    c1: c1!,
    c2: c2!,
    other: other!,
    rest,
  };
}
