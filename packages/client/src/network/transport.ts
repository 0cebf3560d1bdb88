import { fromBase64, fromHex, onionOpenReply, onionSealLayer, utf8Decode, utf8Encode } from "@session/crypto";
import { SessionError } from "@session/errors";
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
import { type Blame, blameFor, type PathFailure } from "./blame.ts";
import { NodeHealth } from "./node-health.ts";

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
  /** Strike counts shared with the caller (swarm member choice); a fresh one by default. */
  health?: NodeHealth;
}

/** A request through a path failed; `failure` says how, for blame. Another path can help. */
class PathError extends SessionError<PathFailure["kind"]> {
  override readonly name = "PathError";
  constructor(
    readonly failure: PathFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(failure.kind, message, { ...options, retryable: true });
  }
}

const isTimeout = (err: unknown) =>
  err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");

const hop = (n: NodeInfo) => ({ ed25519: fromHex(n.pubkey_ed25519), x25519: fromHex(n.pubkey_x25519) });

/**
 * Sends storage RPCs through 3-node onion paths, never directly. A path is reused (its first
 * node acts as a guard) until a request through it fails; the failure is blamed on the node the
 * error names (or spread as single strikes past the guard when it names none, see blame.ts), only
 * the blamed nodes are replaced, and the request is retried. Nodes with too many strikes are left
 * out until their strikes are forgiven (NodeHealth).
 */
export class OnionTransport {
  private path: NodeInfo[] | undefined;
  readonly health: NodeHealth;
  readonly stats = { requests: 0, pathsBuilt: 0, pathFailures: 0 };

  constructor(
    private readonly nodes: () => readonly NodeInfo[],
    private readonly o: TransportOptions,
  ) {
    this.health = o.health ?? new NodeHealth();
  }

  currentPath(): readonly NodeInfo[] | undefined {
    return this.path;
  }

  /** Known nodes that have not struck out. */
  usableNodes(): NodeInfo[] {
    return this.nodes().filter((n) => this.health.usable(n.pubkey_ed25519));
  }

  private pick(n: number, exclude: Set<string>): NodeInfo[] {
    const pool = this.usableNodes().filter((x) => !exclude.has(x.pubkey_ed25519));
    const rnd = this.o.random ?? Math.random;
    const out: NodeInfo[] = [];
    while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rnd() * pool.length), 1)[0]!);
    return out;
  }

  /**
   * The path to use for a request to `dest` (3 distinct nodes, none of them `dest`): the current
   * one, with any node that struck out (or is `dest`) replaced and the others kept in place.
   */
  pathFor(dest: NodeInfo | undefined): NodeInfo[] {
    const destKey = dest?.pubkey_ed25519 ?? "";
    const keep = (this.path ?? []).filter(
      (n) => n.pubkey_ed25519 !== destKey && this.health.usable(n.pubkey_ed25519),
    );
    if (this.path && keep.length === 3) return this.path;
    const exclude = new Set([destKey, ...keep.map((n) => n.pubkey_ed25519)]);
    const path = [...keep, ...this.pick(3 - keep.length, exclude)];
    if (path.length < 3) {
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
   * Runs `attempt` on the current path; on a failure blames the node(s) the error points at,
   * replaces them in the path and retries (up to `attempts`). When the blamed node is the
   * destination node, another path cannot help: DESTINATION_UNREACHABLE at once, so the caller
   * picks another destination.
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
        const result = await attempt(path);
        for (const n of path) this.health.succeeded(n.pubkey_ed25519);
        if (dest) this.health.succeeded(dest.pubkey_ed25519);
        return result;
      } catch (err) {
        last = err;
        this.stats.pathFailures++;
        const failure: PathFailure = err instanceof PathError ? err.failure : { kind: "garbled" };
        const blame = blameFor(
          failure,
          path.map((n) => n.pubkey_ed25519),
          dest?.pubkey_ed25519,
        );
        this.apply(blame);
        if (blame.destinationDown) {
          throw new ClientError("DESTINATION_UNREACHABLE", `${what} failed: ${messageOf(err)}`, undefined, {
            cause: err,
          });
        }
        if (blame.serverFailed) {
          throw new ClientError("REQUEST_FAILED", `${what} failed: ${messageOf(err)}`, 502, { cause: err });
        }
      }
    }
    throw new ClientError(
      "REQUEST_FAILED",
      `${what} failed on ${attempts} paths: ${messageOf(last)}`,
      undefined,
      {
        cause: last,
      },
    );
  }

  /** Records the strikes and takes every blamed node out of the current path. */
  private apply(blame: Blame): void {
    for (const k of blame.down) this.health.strikeOut(k);
    for (const k of blame.suspect) this.health.strike(k);
    const out = new Set([...blame.down, ...blame.suspect]);
    if (this.path) this.path = this.path.filter((n) => !out.has(n.pubkey_ed25519));
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
    let res: Response;
    try {
      res = await this.o.fetch(`${this.o.scheme}://${first.public_ip}:${first.storage_port}/onion_req/v2`, {
        method: "POST",
        body: built.request as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const kind = isTimeout(err) ? "timeout" : "guard-unreachable";
      throw new PathError({ kind }, `guard ${kind}: ${messageOf(err)}`, { cause: err });
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      // The guard's connection broke while it answered: it went down (or stalled) under us.
      const kind = isTimeout(err) ? "timeout" : "guard-unreachable";
      throw new PathError({ kind }, `reading the reply: ${messageOf(err)}`, { cause: err });
    }
    if (res.status !== 200) {
      const body = utf8Decode(bytes.subarray(0, 512));
      throw new PathError(
        { kind: "status", status: res.status, body },
        `path answered HTTP ${res.status}: ${body}`,
      );
    }
    let cipher: Uint8Array = bytes;
    if (mayBeBase64) {
      const text = utf8Decode(bytes);
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) cipher = fromBase64(text);
    }
    try {
      return onionOpenReply(encType, cipher, built.destinationKeys);
    } catch (err) {
      throw new PathError({ kind: "garbled" }, `reply did not open: ${messageOf(err)}`, { cause: err });
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A server reached through onion paths: its address and X25519 key (hex). */
export interface ServerTarget {
  host: string;
  port: number;
  protocol: "http" | "https";
  x25519: string;
}
