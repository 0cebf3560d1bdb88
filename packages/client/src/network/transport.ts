import {
  fromBase64,
  fromHex,
  type KeyPair,
  onionDecryptResponse,
  onionEncryptForHop,
  utf8Decode,
  utf8Encode,
  x25519Keypair,
} from "@session/crypto";
import { buildOnionRequest, decodeFinalHopResponse, type EncType, type NodeInfo } from "@session/protocol";
import { ClientError } from "../errors.ts";

export interface RpcReply {
  status: number;
  body: unknown;
}

export interface TransportOptions {
  scheme: "http" | "https";
  fetch: typeof fetch;
  encType?: EncType;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  /** Path attempts before giving up (each on a fresh path). */
  attempts?: number;
  random?: () => number;
}

const hop = (n: NodeInfo) => ({ ed25519: fromHex(n.pubkey_ed25519), x25519: fromHex(n.pubkey_x25519) });

/**
 * Sends storage RPCs through 3-node onion paths, never directly. A path is reused (its first
 * node acts as a guard) until a request through it fails; then it is dropped and the request is
 * retried on a new path that avoids the failed nodes.
 */
export class OnionTransport {
  private path: NodeInfo[] | undefined;
  private readonly bad = new Set<string>();
  readonly stats = { requests: 0, pathsBuilt: 0, pathFailures: 0 };

  constructor(
    private readonly nodes: () => readonly NodeInfo[],
    private readonly o: TransportOptions,
  ) {}

  currentPath(): readonly NodeInfo[] | undefined {
    return this.path;
  }

  private pick(n: number, exclude: Set<string>): NodeInfo[] {
    const pool = this.nodes().filter(
      (x) => !exclude.has(x.pubkey_ed25519) && !this.bad.has(x.pubkey_ed25519),
    );
    const rnd = this.o.random ?? Math.random;
    const out: NodeInfo[] = [];
    while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rnd() * pool.length), 1)[0]!);
    return out;
  }

  /** The path to use for a request to `dest` (3 distinct nodes, none of them `dest`). */
  pathFor(dest: NodeInfo): NodeInfo[] {
    if (this.path && !this.path.some((n) => n.pubkey_ed25519 === dest.pubkey_ed25519)) return this.path;
    const exclude = new Set([dest.pubkey_ed25519]);
    // Keep the guard (first hop) when it is still usable.
    const guard = this.path?.[0];
    const base =
      guard && guard.pubkey_ed25519 !== dest.pubkey_ed25519 && !this.bad.has(guard.pubkey_ed25519)
        ? [guard]
        : [];
    for (const b of base) exclude.add(b.pubkey_ed25519);
    const rest = this.pick(3 - base.length, exclude);
    const path = [...base, ...rest];
    if (path.length < 3) {
      this.bad.clear(); // everything failed once: give every node another chance next time
      throw new ClientError("NOT_ENOUGH_NODES", "not enough reachable nodes to build a 3-hop path");
    }
    this.path = path;
    this.stats.pathsBuilt++;
    return path;
  }

  /** One storage RPC to `dest` through an onion path, retried on new paths. */
  async rpc(dest: NodeInfo, method: string, params: unknown): Promise<RpcReply> {
    const attempts = this.o.attempts ?? 3;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const path = this.pathFor(dest);
      try {
        this.stats.requests++;
        return await this.send(path, dest, method, params);
      } catch (err) {
        last = err;
        this.stats.pathFailures++;
        // Blame the whole path; the destination itself is retried (it may be fine).
        for (const n of path) this.bad.add(n.pubkey_ed25519);
        this.path = undefined;
      }
    }
    throw new ClientError("REQUEST_FAILED", `request failed on ${attempts} paths: ${String(last)}`);
  }

  private async send(path: NodeInfo[], dest: NodeInfo, method: string, params: unknown): Promise<RpcReply> {
    const encType = this.o.encType ?? "xchacha20";
    const built = buildOnionRequest(
      {
        payload: utf8Encode(JSON.stringify({ method, params })),
        destination: { kind: "node", ...hop(dest) },
        hops: path.map(hop),
        encType,
      },
      (plaintext, recipient, et) => {
        const ephemeral = x25519Keypair();
        return {
          ciphertext: onionEncryptForHop(et, plaintext, ephemeral, recipient),
          ephemeralPublicKey: ephemeral.publicKey,
          keys: { ephemeral, recipient },
        };
      },
    );
    const first = path[0]!;
    const res = await this.o.fetch(
      `${this.o.scheme}://${first.public_ip}:${first.storage_port}/onion_req/v2`,
      {
        method: "POST",
        body: built.request as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      },
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`path answered HTTP ${res.status}`);
    const text = utf8Decode(bytes);
    const cipher = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? fromBase64(text) : bytes;
    const { ephemeral, recipient } = built.destinationKeys as { ephemeral: KeyPair; recipient: Uint8Array };
    const plain = onionDecryptResponse(encType, cipher, ephemeral, recipient);
    return decodeFinalHopResponse(utf8Decode(plain));
  }
}
