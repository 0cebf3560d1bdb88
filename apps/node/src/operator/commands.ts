// What a node operator does on the staking registry, one function per command. Each takes its
// dependencies (contracts, wallet, node keys, progress sink) so tests and the CLI share them.
import { chainTime, type Progress, revertReason, sendAndWait, signPermit } from "@session/contracts/wallet";
import {
  type AccountKeys,
  ipFromUint32,
  ipv4ToUint32,
  type RegisteredNode,
  signNodeRegistration,
  toHex,
} from "@session/crypto";
import { type Contract, formatUnits, hexlify, type Provider, type Wallet } from "ethers";
import { OperatorError } from "./errors.ts";

export const SESH_DECIMALS = 9;
export const STATUS = ["none", "awaiting contributions", "active", "exiting", "exited", "removed"] as const;

export interface OperatorDeps {
  provider: Provider;
  wallet: Wallet;
  registry: Contract;
  sesh: Contract;
  chainId: bigint;
  keys: AccountKeys;
  progress: Progress;
  /** Unix seconds (for permit deadlines); default the chain's time, which a chain moved on by
   *  `evm_increaseTime` (or a drifting local clock) puts apart from this machine's. */
  now?: () => number | Promise<number>;
}

export interface Endpoint {
  ip: string;
  port: number;
}

export const formatSesh = (v: bigint) => `${formatUnits(v, SESH_DECIMALS)} SESH`;

/** The node id registered for this node's Ed25519 key (0n when none). */
export async function ownNodeId(d: Pick<OperatorDeps, "registry" | "keys">): Promise<bigint> {
  return (await d.registry.getFunction("nodeIdByEd25519")(`0x${toHex(d.keys.ed25519.publicKey)}`)) as bigint;
}

/** The node key's signature proving the operator may register (or move) it to `endpoint`. */
export async function keyProof(d: OperatorDeps, endpoint: Endpoint): Promise<string> {
  const ip = ipv4ToUint32(endpoint.ip);
  return hexlify(
    signNodeRegistration(d.keys.ed25519.secretKey, {
      chainId: d.chainId,
      registry: await d.registry.getAddress(),
      operator: d.wallet.address,
      ed25519: d.keys.ed25519.publicKey,
      x25519: d.keys.x25519.publicKey,
      ip,
      port: endpoint.port,
    }),
  );
}

/** Lets the registry take `amount` SESH from the wallet, by an EIP-2612 permit (no approve transaction needed from the wallet's UI). */
async function permitStake(d: OperatorDeps, amount: bigint): Promise<void> {
  const balance = (await d.sesh.getFunction("balanceOf")(d.wallet.address)) as bigint;
  if (balance < amount)
    throw new OperatorError(
      "INSUFFICIENT_FUNDS",
      `the wallet holds ${formatSesh(balance)}, the stake needs ${formatSesh(amount)}`,
    );
  const spender = await d.registry.getAddress();
  const deadline = BigInt((await (d.now ?? (() => chainTime(d.provider)))()) + 3600);
  d.progress(`signing a permit for ${formatSesh(amount)} to the registry…`);
  const { v, r, s } = await signPermit(
    d.wallet,
    d.provider,
    { token: await d.sesh.getAddress(), spender, value: amount, deadline },
    {
      name: () => d.sesh.getFunction("name")() as Promise<string>,
      nonces: (o) => d.sesh.getFunction("nonces")(o) as Promise<bigint>,
    },
  );
  await sendAndWait(
    "permit",
    () => d.sesh.getFunction("permit")(d.wallet.address, spender, amount, deadline, v, r, s),
    { progress: d.progress, iface: d.sesh.interface },
  );
}

export interface RegisterOptions extends Endpoint {
  feeBps: number;
  /** Operator stake; default the full staking requirement. */
  stake?: bigint | undefined;
}

/** Stakes and registers this node with the wallet as operator; returns the node id. */
export async function registerNode(d: OperatorDeps, o: RegisterOptions): Promise<bigint> {
  const existing = await ownNodeId(d);
  if (existing !== 0n)
    throw new OperatorError("ALREADY_REGISTERED", `this node key is registered as node ${existing}`);
  if (!Number.isInteger(o.feeBps) || o.feeBps < 0 || o.feeBps > 10_000)
    throw new OperatorError("BAD_ARGUMENT", "the fee is in basis points, 0–10000");
  const requirement = (await d.registry.getFunction("stakingRequirement")()) as bigint;
  const stake = o.stake ?? requirement;
  if (stake * 4n < requirement || stake > requirement)
    throw new OperatorError(
      "BAD_ARGUMENT",
      `the operator stake must be between ${formatSesh(requirement / 4n)} and ${formatSesh(requirement)}`,
    );
  const proof = await keyProof(d, o);
  d.progress(`node key signed the registration for ${o.ip}:${o.port}`);
  await permitStake(d, stake);
  const receipt = await sendAndWait(
    "registerNode",
    () =>
      d.registry.getFunction("registerNode")(
        `0x${toHex(d.keys.ed25519.publicKey)}`,
        `0x${toHex(d.keys.x25519.publicKey)}`,
        ipv4ToUint32(o.ip),
        o.port,
        o.feeBps,
        stake,
        proof,
      ),
    { progress: d.progress, iface: d.registry.interface },
  );
  for (const log of receipt.logs) {
    const parsed = d.registry.interface.parseLog(log);
    if (parsed?.name === "NodeRegistered") return parsed.args.nodeId as bigint;
  }
  return ownNodeId(d);
}

/** Adds the wallet's stake to a node awaiting contributions; returns the node as it is after. */
export async function contribute(d: OperatorDeps, nodeId: bigint, amount: bigint): Promise<OnChainNode> {
  if (amount <= 0n) throw new OperatorError("BAD_ARGUMENT", "the amount must be positive");
  const node = await getNode(d, nodeId);
  if (node.status !== 1)
    throw new OperatorError(
      "WRONG_STATUS",
      `node ${nodeId} is ${STATUS[node.status]}, not awaiting contributions`,
    );
  // Checked before the permit: the registry would revert StakeTooHigh after it was sent.
  const remaining = node.stakingRequirement - node.totalStaked;
  if (amount > remaining)
    throw new OperatorError(
      "BAD_ARGUMENT",
      `node ${nodeId} needs at most ${formatSesh(remaining)} more, not ${formatSesh(amount)}`,
    );
  await permitStake(d, amount);
  await sendAndWait("contribute", () => d.registry.getFunction("contribute")(nodeId, amount), {
    progress: d.progress,
    iface: d.registry.interface,
  });
  return getNode(d, nodeId);
}

export async function updateEndpoint(d: OperatorDeps, endpoint: Endpoint): Promise<bigint> {
  const id = await requireOwnNode(d);
  const proof = await keyProof(d, endpoint);
  await sendAndWait(
    "updateEndpoint",
    () => d.registry.getFunction("updateEndpoint")(id, ipv4ToUint32(endpoint.ip), endpoint.port, proof),
    { progress: d.progress, iface: d.registry.interface },
  );
  return id;
}

export async function requestExit(d: OperatorDeps): Promise<bigint> {
  const id = await requireOwnNode(d);
  await sendAndWait("requestExit", () => d.registry.getFunction("requestExit")(id), {
    progress: d.progress,
    iface: d.registry.interface,
  });
  return id;
}

/** Anyone may finalise an exit once the unlock time has passed. */
export async function finalizeExit(d: OperatorDeps, nodeId?: bigint): Promise<bigint> {
  const id = nodeId ?? (await requireOwnNode(d));
  await sendAndWait("finalizeExit", () => d.registry.getFunction("finalizeExit")(id), {
    progress: d.progress,
    iface: d.registry.interface,
  });
  return id;
}

/** Claims the wallet's rewards from the given nodes (default this node) plus operator fees. */
export async function claim(d: OperatorDeps, nodeIds?: bigint[]): Promise<bigint> {
  const ids = nodeIds ?? [await requireOwnNode(d)];
  const before = (await d.sesh.getFunction("balanceOf")(d.wallet.address)) as bigint;
  await sendAndWait("claimRewards", () => d.registry.getFunction("claimRewards")(ids), {
    progress: d.progress,
    iface: d.registry.interface,
  });
  return ((await d.sesh.getFunction("balanceOf")(d.wallet.address)) as bigint) - before;
}

/** A node as `getNode` returns it: the contract's own numbers, no interpretation. */
export interface OnChainNode extends RegisteredNode {
  id: bigint;
  status: number;
  unlockAt: bigint;
  stakingRequirement: bigint;
  totalStaked: bigint;
  contributors: string[];
}

export async function getNode(d: Pick<OperatorDeps, "registry">, id: bigint): Promise<OnChainNode> {
  let n: Record<string, unknown>;
  try {
    n = (await d.registry.getFunction("getNode")(id)) as Record<string, unknown>;
  } catch (e) {
    throw new OperatorError("NOT_REGISTERED", `node ${id}: ${revertReason(e, d.registry.interface)}`, {
      cause: e,
    });
  }
  return {
    id,
    operator: String(n.operator),
    ed25519: String(n.ed25519Pubkey).slice(2),
    x25519: String(n.x25519Pubkey).slice(2),
    ip: ipFromUint32(Number(n.ip)),
    port: Number(n.port),
    feeBps: Number(n.feeBps),
    status: Number(n.status),
    unlockAt: n.unlockAt as bigint,
    stakingRequirement: n.stakingRequirement as bigint,
    totalStaked: n.totalStaked as bigint,
    contributors: [...(n.contributors as string[])],
  };
}

async function requireOwnNode(d: Pick<OperatorDeps, "registry" | "keys">): Promise<bigint> {
  const id = await ownNodeId(d);
  if (id === 0n)
    throw new OperatorError(
      "NOT_REGISTERED",
      "this node key is not registered: run `session-node register` first",
    );
  return id;
}

export interface SwarmView {
  swarmId: string | null;
  members: { pubkey_ed25519: string; public_ip: string; storage_port: number }[];
}

/** The node's swarm as the indexer serves it to the network (null swarm while not active/listed). */
export async function swarmOf(
  indexerUrl: string,
  ed25519: string,
  fetcher: typeof fetch = fetch,
): Promise<SwarmView> {
  let body: {
    nodes?: { pubkey_ed25519: string; swarm_id?: string; public_ip: string; storage_port: number }[];
  };
  try {
    const res = await fetcher(new URL("/v1/nodes", indexerUrl), { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`status ${res.status}`);
    body = (await res.json()) as typeof body;
  } catch (e) {
    throw new OperatorError(
      "INDEXER_UNAVAILABLE",
      `cannot read the node list from the indexer (${String(e)})`,
      {
        cause: e,
      },
    );
  }
  const nodes = body.nodes ?? [];
  const me = nodes.find((n) => n.pubkey_ed25519 === ed25519);
  if (!me?.swarm_id) return { swarmId: null, members: [] };
  return {
    swarmId: me.swarm_id,
    members: nodes
      .filter((n) => n.swarm_id === me.swarm_id)
      .map((n) => ({
        pubkey_ed25519: n.pubkey_ed25519,
        public_ip: n.public_ip,
        storage_port: n.storage_port,
      })),
  };
}
