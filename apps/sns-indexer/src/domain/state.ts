import { fromHex, ipFromUint32, type RegisteredNode, verifyNodeRegistration } from "@session/crypto";
import { assignSwarms, type NodeInfo } from "@session/protocol/swarm";
import type { StoredEvent } from "../db/store.ts";

export type NodeStatus = "awaiting" | "active" | "exiting" | "exited" | "removed";

export interface NodeState extends RegisteredNode {
  id: number;
  status: NodeStatus;
  stakingRequirement: string;
  totalStaked: string;
  contributors: { address: string; amount: string }[];
  unlockAt: number | null;
  registeredBlock: number;
  /** The node key's signature (0x hex) over the registration message for the current endpoint. */
  proof: string | null;
  /** Whether `proof` verifies here; a node without a valid proof is never served. */
  proofValid: boolean;
}

/** What a node key proof is bound to besides the node's own fields. */
export interface ProofContext {
  chainId: bigint;
  registry: string;
}

/** An active node as served to storage nodes: NodeInfo plus what lets them check the key proof. */
export interface ServedNode extends NodeInfo {
  operator: string;
  registration_signature: string;
}

export interface NameState {
  nameHash: string;
  owner: string;
  expiry: number;
  length: number;
  encryptedRecord: string;
}

type Args = Record<string, string>;

const hex32 = (v: string) => v.toLowerCase().replace(/^0x/, "").padStart(64, "0");

/** Versions are unique across every ChainState of the process (see `version`). */
let lastVersion = 0;

/**
 * Node and name state as a fold over contract events in chain order. `version` changes on every
 * applied event so API responses can be cached (and ETagged) per version. It is drawn from one
 * process-wide sequence: a state rebuilt after a reorg with as many events as the one it replaces
 * (an orphaned registration swapped for another) must not match a cache made from the old one.
 */
export class ChainState {
  readonly nodes = new Map<number, NodeState>();
  readonly names = new Map<string, NameState>();
  version = ++lastVersion;
  eventCount = 0;
  private active: { version: number; list: ServedNode[] } | undefined;

  /** Without a context (tests of the fold alone) no proof verifies, so no node is served. */
  constructor(readonly proofContext?: ProofContext) {}

  private checkProof(node: NodeState): boolean {
    if (!this.proofContext || !node.proof) return false;
    const [a, b, c, d] = node.ip.split(".").map(Number) as [number, number, number, number];
    return verifyNodeRegistration(
      {
        chainId: this.proofContext.chainId,
        registry: this.proofContext.registry,
        operator: node.operator,
        ed25519: fromHex(node.ed25519),
        x25519: fromHex(node.x25519),
        ip: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0,
        port: node.port,
      },
      fromHex(node.proof.replace(/^0x/, "")),
    );
  }

  apply(ev: StoredEvent): void {
    const a = JSON.parse(ev.args) as Args;
    this.version = ++lastVersion;
    this.eventCount++;
    if (ev.contract === "registry") this.applyRegistry(ev.name, a, ev.blockNumber);
    else this.applyNames(ev.name, a);
  }

  private applyRegistry(name: string, a: Args, block: number) {
    const id = Number(a.nodeId);
    const node = this.nodes.get(id);
    switch (name) {
      case "NodeRegistered":
        this.nodes.set(id, {
          id,
          operator: a.operator!,
          ed25519: hex32(a.ed25519Pubkey!),
          x25519: hex32(a.x25519Pubkey!),
          ip: ipFromUint32(Number(a.ip)),
          port: Number(a.port),
          feeBps: Number(a.feeBps),
          status: "awaiting",
          stakingRequirement: a.stakingRequirement!,
          totalStaked: "0",
          contributors: [],
          unlockAt: null,
          registeredBlock: block,
          proof: null,
          proofValid: false,
        });
        return;
      case "NodeKeyProof":
        if (node) {
          node.proof = a.signature!;
          node.proofValid = this.checkProof(node);
        }
        return;
      case "NodeContribution": {
        if (!node) return;
        const c = node.contributors.find((x) => x.address === a.contributor);
        if (c) c.amount = (BigInt(c.amount) + BigInt(a.amount!)).toString();
        else node.contributors.push({ address: a.contributor!, amount: a.amount! });
        node.totalStaked = a.totalStaked!;
        return;
      }
      case "NodeActivated":
        if (node) node.status = "active";
        return;
      case "NodeEndpointUpdated":
        if (node) {
          node.ip = ipFromUint32(Number(a.ip));
          node.port = Number(a.port);
          // The proof for the new endpoint follows in the same transaction (NodeKeyProof).
          node.proof = null;
          node.proofValid = false;
        }
        return;
      case "NodeExitRequested":
        if (node) {
          node.status = "exiting";
          node.unlockAt = Number(a.unlockAt);
        }
        return;
      case "NodeExited":
        if (node) node.status = "exited";
        return;
      case "NodeLiquidated":
        if (node) node.status = "removed";
        return;
      default:
        return;
    }
  }

  private applyNames(name: string, a: Args) {
    switch (name) {
      case "NameRegistered":
        this.names.set(a.nameHash!, {
          nameHash: a.nameHash!,
          owner: a.owner!,
          expiry: Number(a.expiry),
          length: Number(a.length),
          encryptedRecord: "0x",
        });
        return;
      case "RecordUpdated": {
        const n = this.names.get(a.nameHash!);
        if (n) n.encryptedRecord = a.encryptedRecord!;
        return;
      }
      case "NameRenewed": {
        const n = this.names.get(a.nameHash!);
        if (n) n.expiry = Number(a.expiry);
        return;
      }
      case "NameChallenged":
        this.names.delete(a.nameHash!);
        return;
      case "Transfer": {
        const hash = `0x${BigInt(a.tokenId!).toString(16).padStart(64, "0")}`;
        if (/^0x0{40}$/i.test(a.to!)) this.names.delete(hash);
        else {
          const n = this.names.get(hash);
          if (n) n.owner = a.to!;
        }
        return;
      }
      default:
        return;
    }
  }

  /** Active nodes with their swarm (packages/protocol's deterministic assignment), cached per version. */
  activeNodeInfos(): ServedNode[] {
    if (this.active?.version === this.version) return this.active.list;
    // A registry entry whose key proof does not verify is refused (never served).
    const active = [...this.nodes.values()].filter((n) => n.status === "active" && n.proofValid);
    const swarms = assignSwarms(active.map((n) => ({ pubkey_ed25519: n.ed25519, node: n })));
    const list: ServedNode[] = [];
    for (const [swarmId, members] of swarms) {
      for (const m of members) {
        list.push({
          pubkey_ed25519: m.node.ed25519,
          pubkey_x25519: m.node.x25519,
          public_ip: m.node.ip,
          storage_port: m.node.port,
          swarm_id: swarmId.toString(),
          active: true,
          operator: m.node.operator,
          registration_signature: m.node.proof!,
        });
      }
    }
    list.sort((x, y) => (x.pubkey_ed25519 < y.pubkey_ed25519 ? -1 : 1));
    this.active = { version: this.version, list };
    return list;
  }
}
