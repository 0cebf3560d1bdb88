import { EventEmitter } from "node:events";
import { readFile, rename, writeFile } from "node:fs/promises";
import {
  assignSwarms,
  type NodeInfo,
  nodeInfoSchema,
  ProtocolError,
  type SwarmMember,
  swarmForPubkey,
} from "@session/protocol";
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

const indexerNodesSchema = z.object({
  nodes: z.array(nodeInfoSchema),
  /** The last block the indexer read (its /v1/nodes always says). */
  height: z.number().int().nonnegative().optional(),
});

/** The sns-indexer's `/v1/nodes` (the on-chain registry) and the chain height it has read to. */
export function httpRegistry(baseUrl: string, fetchFn: typeof fetch = fetch): RegistrySource {
  const url = `${baseUrl.replace(/\/$/, "")}/v1/nodes`;
  let height: number | undefined;
  return {
    description: `indexer ${url}`,
    async load() {
      const res = await fetchFn(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`registry ${url} answered ${res.status}`);
      const body = indexerNodesSchema.parse(await res.json());
      height = body.height;
      return body.nodes;
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
