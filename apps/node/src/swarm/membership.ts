import { EventEmitter } from "node:events";
import { readFile, rename, writeFile } from "node:fs/promises";
import { fromHex, ipv4ToUint32, verifyNodeRegistration } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import {
  assignSwarms,
  type NodeInfo,
  nodeInfoSchema,
  type SwarmMember,
  swarmForPubkey,
} from "@session/protocol/swarm";
import { z } from "zod";

/** Where the registered node list comes from. */
export interface RegistrySource {
  readonly description: string;
  load(): Promise<NodeInfo[]>;
  /** Chain height of the last list loaded, when the source follows a chain (the indexer does). */
  height?(): number | undefined;
}

const registryFileSchema = z.object({
  nodes: z.array(nodeInfoSchema.extend({ swarm_id: z.string().optional() })),
});

/** Static JSON file: `{ "nodes": [{ pubkey_ed25519, pubkey_x25519, public_ip, storage_port }, …] }`. */
export function fileRegistry(path: string): RegistrySource {
  return {
    description: `file ${path}`,
    async load() {
      const parsed = registryFileSchema.parse(JSON.parse(await readFile(path, "utf8")));
      return parsed.nodes.map((n) => ({ ...n, swarm_id: n.swarm_id ?? "0" }));
    },
  };
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const indexerNodesSchema = z.object({
  chain_id: z.string().regex(/^\d+$/),
  registry: address,
  nodes: z.array(
    nodeInfoSchema.extend({
      operator: address,
      registration_signature: z.string().regex(/^0x[0-9a-fA-F]{128}$/),
    }),
  ),
  /** The last block the indexer read (its /v1/nodes always says). */
  height: z.number().int().nonnegative().optional(),
});

export interface HttpRegistryOptions {
  fetchFn?: typeof fetch;
  /** Expected chain id and registry address: an indexer serving another deployment is refused. */
  chainId?: bigint;
  registryAddress?: string;
  /** Called with the number of entries dropped because their key proof did not verify. */
  onRefused?: (count: number) => void;
}

/**
 * The sns-indexer's `/v1/nodes` (the on-chain registry). A list older (lower `height`) than the
 * last one loaded is refused, as is one failing any check: the caller keeps its last good list
 * (node.ts keeps the membership as it is when `load` throws). Each entry's node key proof (the node's
 * Ed25519 signature over chain id, registry, operator, keys and endpoint) is checked again here:
 * an entry whose proof does not verify is dropped, so an indexer cannot slip in a node key its
 * operator does not hold.
 */
export function httpRegistry(baseUrl: string, opts: HttpRegistryOptions | typeof fetch = {}): RegistrySource {
  const o: HttpRegistryOptions = typeof opts === "function" ? { fetchFn: opts } : opts;
  const fetchFn = o.fetchFn ?? fetch;
  const url = `${baseUrl.replace(/\/$/, "")}/v1/nodes`;
  let height: number | undefined;
  return {
    description: `indexer ${url}`,
    async load() {
      const res = await fetchFn(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`registry ${url} answered ${res.status}`);
      const body = indexerNodesSchema.parse(await res.json());
      // An indexer behind the list we hold (restarted on an empty database, mid-rollback, or
      // another instance lagging) is refused: the last good list stays in use.
      if (height !== undefined && body.height !== undefined && body.height < height)
        throw new Error(
          `registry ${url} is at block ${body.height}, older than the list held (block ${height})`,
        );
      const chainId = BigInt(body.chain_id);
      if (o.chainId !== undefined && chainId !== o.chainId)
        throw new Error(`registry ${url} follows chain ${chainId}, expected ${o.chainId}`);
      if (o.registryAddress && body.registry.toLowerCase() !== o.registryAddress.toLowerCase())
        throw new Error(`registry ${url} follows contract ${body.registry}, expected ${o.registryAddress}`);
      const kept: NodeInfo[] = [];
      for (const { operator, registration_signature, ...info } of body.nodes) {
        let ok = false;
        try {
          ok = verifyNodeRegistration(
            {
              chainId,
              registry: body.registry,
              operator,
              ed25519: fromHex(info.pubkey_ed25519),
              x25519: fromHex(info.pubkey_x25519),
              ip: ipv4ToUint32(info.public_ip),
              port: info.storage_port,
            },
            fromHex(registration_signature.slice(2)),
          );
        } catch {
          ok = false;
        }
        if (ok) kept.push(info);
      }
      if (kept.length < body.nodes.length) o.onRefused?.(body.nodes.length - kept.length);
      // Only a list that passed every check moves the height on.
      if (body.height !== undefined) height = body.height;
      return kept;
    },
    height: () => height,
  };
}

/** Writes a static registry file atomically (devnet, tests). */
export async function writeRegistryFile(
  path: string,
  nodes: readonly Omit<NodeInfo, "swarm_id">[],
): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ nodes }, null, 2)}\n`);
  await rename(tmp, path);
}

export interface Swarm {
  id: bigint;
  members: NodeInfo[];
}

/**
 * The node's view of the network: every registered node, the swarms (packages/protocol's
 * deterministic assignment, so every node and the indexer agree) and which swarm is ours.
 * Emits "changed" when swarm composition changes.
 */
export class Membership extends EventEmitter {
  private swarms = new Map<bigint, NodeInfo[]>();
  private byEd = new Map<string, NodeInfo>();
  private byX = new Map<string, NodeInfo>();
  private signature = "";

  constructor(readonly selfEd25519Hex: string) {
    super();
  }

  update(nodes: readonly NodeInfo[]): boolean {
    const assigned = assignSwarms(nodes as (NodeInfo & SwarmMember)[]);
    const swarms = new Map<bigint, NodeInfo[]>();
    for (const [id, members] of assigned)
      swarms.set(
        id,
        members.map((m) => ({ ...m, swarm_id: id.toString() })),
      );
    const signature = [...swarms]
      .map(
        ([id, ms]) =>
          `${id}:${ms.map((m) => `${m.pubkey_ed25519}@${m.public_ip}:${m.storage_port}`).join(",")}`,
      )
      .join(";");
    if (signature === this.signature) return false;
    this.signature = signature;
    this.swarms = swarms;
    this.byEd = new Map();
    this.byX = new Map();
    for (const ms of swarms.values()) {
      for (const m of ms) {
        this.byEd.set(m.pubkey_ed25519, m);
        this.byX.set(m.pubkey_x25519, m);
      }
    }
    this.emit("changed");
    return true;
  }

  swarmIds(): bigint[] {
    return [...this.swarms.keys()];
  }

  /** The swarm that owns an account (66-hex id). */
  swarmOf(pubkeyHex: string): Swarm | undefined {
    if (this.swarms.size === 0) return undefined;
    const id = swarmForPubkey(pubkeyHex, this.swarmIds());
    return { id, members: this.swarms.get(id) ?? [] };
  }

  mySwarm(): Swarm | undefined {
    const me = this.byEd.get(this.selfEd25519Hex);
    if (!me) return undefined;
    const id = BigInt(me.swarm_id);
    return { id, members: this.swarms.get(id) ?? [] };
  }

  isMine(pubkeyHex: string): boolean {
    const mine = this.mySwarm();
    return mine !== undefined && this.swarmOf(pubkeyHex)?.id === mine.id;
  }

  peers(): NodeInfo[] {
    return (this.mySwarm()?.members ?? []).filter((m) => m.pubkey_ed25519 !== this.selfEd25519Hex);
  }

  self(): NodeInfo | undefined {
    return this.byEd.get(this.selfEd25519Hex);
  }

  nodeByEd25519(hex: string): NodeInfo | undefined {
    return this.byEd.get(hex.toLowerCase());
  }

  nodeByX25519(hex: string): NodeInfo | undefined {
    return this.byX.get(hex.toLowerCase());
  }

  allNodes(): NodeInfo[] {
    return [...this.byEd.values()];
  }

  requireReady(): void {
    // oxenss's 503 text (https.cpp check_ready, service_node.cpp snode_ready).
    if (this.swarms.size === 0)
      throw new ProtocolError("SERVICE_UNAVAILABLE", "Service node is not ready: not in any swarm\n");
  }
}
