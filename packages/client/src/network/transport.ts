import { fromBase64, fromHex, onionOpenReply, onionSealLayer, utf8Decode, utf8Encode } from "@session/crypto";
import {
  buildOnionRequest,
  decodeFinalHopResponse,
  decodeV4Response,
  type EncType,
  encodeV4Request,
  type NodeInfo,
  type OnionDestination,
} from "@session/protocol";
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
  pathFor(dest: NodeInfo | undefined): NodeInfo[] {
    const destKey = dest?.pubkey_ed25519 ?? "";
    if (this.path && !this.path.some((n) => n.pubkey_ed25519 === destKey)) return this.path;
    const exclude = new Set([destKey]);
    // Keep the guard (first hop) when it is still usable.
    const guard = this.path?.[0];
    const base =
      guard && guard.pubkey_ed25519 !== destKey && !this.bad.has(guard.pubkey_ed25519) ? [guard] : [];
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

  /**
   * One HTTP request to a server (file server, push server) through a 3-node path: the last node
   * POSTs the still-encrypted v4 request to the server's /oxen/v4/lsrpc, as Session does.
   */
  async serverRequest(
    server: ServerTarget,
    info: { method: string; endpoint: string; headers?: Record<string, string> },
    body?: Uint8Array,
  ): Promise<{ code: number; headers: Record<string, string>; body: Uint8Array }> {
    return this.withPath(undefined, "server request", async (path) => {
      const destination: OnionDestination = {
        kind: "server",
        host: server.host,
        port: server.port,
        protocol: server.protocol,
        target: "/oxen/v4/lsrpc",
        x25519: fromHex(server.x25519),
      };
      const plain = await this.exchange(
        path,
        destination,
        encodeV4Request({ headers: {}, ...info }, body),
        false,
      );
      const v4 = decodeV4Response(plain);
      return {
        code: v4.info.code,
        headers: (v4.info.headers ?? {}) as Record<string, string>,
        body: v4.body ?? new Uint8Array(0),
      };
    });
  }

  /** One storage RPC to `dest` through an onion path, retried on new paths. */
  async rpc(dest: NodeInfo, method: string, params: unknown): Promise<RpcReply> {
    return this.withPath(dest, "request", (path) => this.send(path, dest, method, params));
  }

  /**
   * Runs `attempt` on the current path, and on a failure blames the whole path and retries on a
   * fresh one (up to `attempts`). A node destination is not blamed: it is retried, it may be fine.
   */
  private async withPath<T>(
    dest: NodeInfo | undefined,
    what: string,
    attempt: (path: NodeInfo[]) => Promise<T>,
  ): Promise<T> {
    const attempts = this.o.attempts ?? 3;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const path = this.pathFor(dest);
      try {
        this.stats.requests++;
        return await attempt(path);
      } catch (err) {
        last = err;
        this.stats.pathFailures++;
        for (const n of path) this.bad.add(n.pubkey_ed25519);
        this.path = undefined;
      }
    }
    throw new ClientError("REQUEST_FAILED", `${what} failed on ${attempts} paths: ${String(last)}`);
  }

  private async send(path: NodeInfo[], dest: NodeInfo, method: string, params: unknown): Promise<RpcReply> {
    const plain = await this.exchange(
      path,
      { kind: "node", ...hop(dest) },
      utf8Encode(JSON.stringify({ method, params })),
      true,
    );
    return decodeFinalHopResponse(utf8Decode(plain));
  }

  /** Builds the layers, posts them to the path's first node and opens the destination's reply. */
  private async exchange(
    path: NodeInfo[],
    destination: OnionDestination,
    payload: Uint8Array,
    mayBeBase64: boolean,
  ): Promise<Uint8Array> {
    const encType = this.o.encType ?? "xchacha20";
    const built = buildOnionRequest({ payload, destination, hops: path.map(hop), encType }, onionSealLayer);
    const first = path[0]!;
    const res = await this.o.fetch(
      `${this.o.scheme}://${first.public_ip}:${first.storage_port}/onion_req/v2`,
      {
        method: "POST",
        body: built.request as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      },
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`path answered HTTP ${res.status}`);
    let cipher: Uint8Array = bytes;
    if (mayBeBase64) {
      const text = utf8Decode(bytes);
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) cipher = fromBase64(text);
    }
    return onionOpenReply(encType, cipher, built.destinationKeys);
  }
}

/** A server reached through onion paths: its address and X25519 key (hex). */
export interface ServerTarget {
  host: string;
  port: number;
  protocol: "http" | "https";
  x25519: string;
}
