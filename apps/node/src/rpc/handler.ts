import type { EventEmitter } from "node:events";
import { type ErrorCode, ProtocolError } from "@session/protocol";
import {
  authRequirementFor,
  checkRequestTiming,
  evaluateIfElseCondition,
  isSwarmFailure,
  parseRpcRequest,
  type RpcRequest,
  type RpcSubrequest,
  swarmInfoBody,
} from "@session/protocol/rpc";
import { type NodeInfo, type ServiceNodesState, toSwarmSnode } from "@session/protocol/swarm";
import { type FaultMonitor, faultError } from "@session/service-kit";
import type { Logger } from "pino";
import type { CryptoThread } from "../crypto-thread.ts";
import type { PeerClient } from "../replication/peer.ts";
import type { SubaccountRevocations } from "../storage/revocations.ts";
import type { MessageStore, NewMessage } from "../storage/store.ts";
import type { Membership } from "../swarm/membership.ts";
import { applyLocal, changedSomething, type LocalApplyContext } from "./apply-local.ts";
import { fanOut } from "./fan-out.ts";
import { requestVerifier, resultSigner } from "./node-crypto.ts";
import { type NameResolver, oxendRequest } from "./oxend.ts";
import {
  commitStore,
  preparedStoreOf,
  type StorePathContext,
  type StoreWriter,
  turnWriter,
} from "./store-path.ts";
import { TurnBatchedAuth } from "./turn-batched-auth.ts";

export const NODE_VERSION: [number, number, number] = [2, 11, 0];
export const HARDFORK: [number, number] = [19, 3];

/**
 * One storage RPC answer. A failure's body is oxenss's plain text (a string), with our typed
 * `code` beside it (sent as a header, never in the body); a success or a 421 is JSON.
 */
export interface RpcResult {
  status: number;
  body: unknown;
  code?: ErrorCode;
}

export interface RpcHandlerDeps {
  store: MessageStore;
  revocations: SubaccountRevocations;
  membership: Membership;
  keys: { ed25519: { publicKey: Uint8Array; secretKey: Uint8Array } };
  selfEd25519Hex: string;
  clock: { now(): number };
  events: EventEmitter;
  peers: PeerClient;
  logger: Logger;
  /** Disk-full and other fault conditions (/health, /metrics); a committed store clears them. */
  faults?: FaultMonitor;
  /** Chain height the registry reports (info/ifelse `height`; 0 with a static registry). */
  height?: () => number;
  /** Name records for `oxend_request` `ons_resolve` (without one it fails as oxenss without oxend). */
  names?: NameResolver | undefined;
  /** Takes what a swarm peer failed to take, for a second attempt (src/replication/redelivery.ts). */
  redelivery?: {
    add(peer: NodeInfo, hash: string): void;
    addForward(peer: NodeInfo, request: unknown): void;
  };
  /**
   * Where client stores are written (default: `store`'s group commit). A cluster worker writes on
   * its own connection beside the owner (storage/shared-writer.ts).
   */
  writer?: StoreWriter;
  /**
   * Where a client's store is fanned out to the swarm peers (default: from here, `peers`). A
   * cluster worker asks its owner, which holds the node links and redelivery.
   */
  fanOutStore?: (raw: unknown, swarm: Record<string, unknown>, storedHash: string) => Promise<void>;
  /** Runs the request signature checks of busy turns off the event loop (src/crypto-thread.ts). */
  cryptoThread?: CryptoThread | undefined;
  /** Keeps the signed deletes and shortenings applied here, for members that miss them (tombstones.ts). */
  tombstones?: {
    keepUntil(req: RpcSubrequest, now: number): number | undefined;
    record(request: { method?: unknown; params?: unknown }, owner: string, keepUntil: number): void;
  };
}

/** A client's (or a peer's forwarded) store checked, hashed and signed, ready to commit. */
export interface PreparedStore {
  message: NewMessage;
  /** The store response signature (over the hash), base64. */
  signature: string;
  /** A public outbox namespace: the account's other messages there are dropped in the same commit. */
  onlyMessageInNamespace: boolean;
  /** The request as the client sent it (forwarded to the swarm peers as it is). */
  request: unknown;
  /** The entry node's clock when the store was checked (`t` of its own swarm entry). */
  now: number;
}

const SWARM_WIDE = new Set([
  "store",
  "delete",
  "delete_all",
  "delete_before",
  "expire",
  "expire_all",
  "revoke_subaccount",
  "unrevoke_subaccount",
]);

/**
 * The storage RPC of one node. Client requests for swarm-wide methods are applied locally and
 * forwarded to every swarm peer (this is also how stores and deletes replicate); the reply's
 * `swarm` object carries each member's signed result, as oxen-storage-server answers.
 */
export class RpcHandler {
  private readonly signB64: (msg: Uint8Array) => string;
  /** What the method modules (apply-local.ts, store-path.ts) are handed. */
  private readonly local: LocalApplyContext;
  private readonly storePath: StorePathContext;

  constructor(private readonly d: RpcHandlerDeps) {
    this.signB64 = resultSigner(d.keys.ed25519.secretKey);
    this.auth = new TurnBatchedAuth(requestVerifier, {
      isSubaccountRevoked: (pubkey, token) => d.revocations.isRevoked(pubkey.hex, token),
      thread: d.cryptoThread,
    });
    this.local = { store: d.store, revocations: d.revocations, signB64: this.signB64 };
    this.storePath = {
      d,
      writer: d.writer ?? turnWriter(d.store),
      misc: () => this.misc(),
      fanOut: d.fanOutStore ?? ((raw, swarm, storedHash) => fanOut(d, raw, "store", swarm, storedHash)),
    };
  }

  /** Signature checks, batched per event-loop turn; revoked subaccount tokens are refused. */
  private readonly auth: TurnBatchedAuth;

  private misc() {
    return { t: this.d.clock.now(), hf: HARDFORK };
  }

  /** Handles a JSON body; never throws. */
  async handle(body: unknown, opts: { viaOnion?: boolean; forwarded?: boolean } = {}): Promise<RpcResult> {
    try {
      const req = parseRpcRequest(body);
      return await this.dispatch(req, body, opts.forwarded ?? false, 0);
    } catch (err) {
      return this.errorResult(err);
    }
  }

  /**
   * A store a cluster worker committed, sent on to this node's swarm peers; returns their entries
   * (the worker merges them with its own). Never throws: a peer's failure is its entry.
   */
  async fanOutCommitted(raw: unknown, storedHash: string): Promise<Record<string, unknown>> {
    const swarm: Record<string, unknown> = {};
    await fanOut(this.d, raw, "store", swarm, storedHash);
    return swarm;
  }

  private errorResult(err: unknown): RpcResult {
    if (err instanceof ProtocolError && err.code === "WRONG_SWARM" && err.details) {
      return { status: 421, body: { ...(err.details as object), ...this.misc() } };
    }
    if (err instanceof ProtocolError) return { status: err.status, body: err.message, code: err.code };
    // A full disk (STORAGE_FULL 507) is one logged condition, not a log line per request.
    const fault = faultError(err);
    if (fault && this.d.faults?.observe(err))
      return { status: fault.status, body: fault.message, code: fault.code };
    this.d.logger.error({ err: String(err) }, "rpc failed");
    // oxenss's answer to an unexpected exception (nothing of it leaks).
    return { status: 500, body: "request failed", code: "INTERNAL" };
  }

  /** The registry as oxend's get_service_nodes sees it (also served on POST /json_rpc). */
  serviceNodesState(): ServiceNodesState {
    return { nodes: this.d.membership.allNodes(), height: this.d.height?.() ?? 0, hardfork: HARDFORK };
  }

  private async dispatch(
    req: RpcRequest,
    raw: unknown,
    forwarded: boolean,
    depth: number,
  ): Promise<RpcResult> {
    switch (req.method) {
      case "batch":
      case "sequence": {
        const results: { code: number; body: unknown }[] = [];
        const rawReqs = ((raw as { params?: { requests?: unknown[] } }).params?.requests ?? []) as unknown[];
        for (const [i, sub] of req.requests.entries()) {
          const r = await this.sub(sub, rawReqs[i], forwarded);
          results.push({ code: r.status, body: r.body });
          // oxenss stops a sequence at the first result outside 2xx.
          if (req.method === "sequence" && (r.status < 200 || r.status > 299)) break;
        }
        // Only `results`: oxenss adds no t/hf to batch and sequence answers.
        return { status: 200, body: { results } };
      }
      case "ifelse": {
        const condition = evaluateIfElseCondition(req.condition, {
          hf: HARDFORK,
          version: NODE_VERSION,
          height: this.d.height?.() ?? 0,
        });
        const branch = condition ? req.thenRequest : req.elseRequest;
        const rawParams = (raw as { params?: Record<string, unknown> }).params ?? {};
        const out: Record<string, unknown> = {
          hf: HARDFORK,
          v: NODE_VERSION,
          height: this.d.height?.() ?? 0,
          condition,
        };
        if (branch) {
          const r = await this.dispatch(branch, rawParams[condition ? "then" : "else"], forwarded, depth + 1);
          out.result = { code: r.status, body: r.body };
        }
        return { status: 200, body: out };
      }
      default:
        return this.sub(req, raw, forwarded);
    }
  }

  private async sub(req: RpcSubrequest, raw: unknown, forwarded: boolean): Promise<RpcResult> {
    try {
      return await this.subrequest(req, raw, forwarded);
    } catch (err) {
      return this.errorResult(err);
    }
  }

  /** oxend's ons_resolve: `{ type: 0, name_hash }` → `{ result: { encrypted_value, nonce } }` ({} when unknown). */
  private requireSwarm(pubkeyHex: string) {
    this.d.membership.requireReady();
    if (this.d.membership.isMine(pubkeyHex)) return;
    const swarm = this.d.membership.swarmOf(pubkeyHex);
    throw new ProtocolError(
      "WRONG_SWARM",
      "pubkey is not served by this swarm",
      swarmInfoBody((swarm?.members ?? []).map(toSwarmSnode), swarm?.id),
    );
  }

  private async subrequest(req: RpcSubrequest, raw: unknown, forwarded: boolean): Promise<RpcResult> {
    const now = this.d.clock.now();
    switch (req.method) {
      case "info":
        return { status: 200, body: { version: NODE_VERSION, timestamp: now, ...this.misc() } };
      case "get_swarm": {
        this.d.membership.requireReady();
        const swarm = this.d.membership.swarmOf(req.params.pubkey.hex);
        return {
          status: 200,
          body: { ...swarmInfoBody((swarm?.members ?? []).map(toSwarmSnode), swarm?.id), ...this.misc() },
        };
      }
      case "oxend_request": {
        const r = await oxendRequest(req.params, {
          serviceNodes: () => this.serviceNodesState(),
          names: this.d.names,
        });
        return r.ok
          ? { status: 200, body: { result: r.result, ...this.misc() } }
          : { status: r.status, body: r.text, code: r.code };
      }
      default:
        break;
    }

    const pubkeyHex = req.params.pubkey.hex;
    await this.checkSubrequest(req, now, forwarded);
    if (req.method === "store")
      return commitStore(this.storePath, preparedStoreOf(this.signB64, req, raw, now), forwarded);

    // A delete or shortening that touches messages here is kept (the client's signed request) until
    // they would have expired, for swarm members that miss it.
    const keepUntil = this.d.tombstones?.keepUntil(req, now);
    const local = applyLocal(this.local, req, now);
    if (keepUntil !== undefined && changedSomething(local)) {
      const asSent =
        raw && typeof raw === "object" && "method" in raw ? raw : { method: req.method, params: raw };
      this.d.tombstones?.record(asSent, pubkeyHex, keepUntil);
    }
    // Nothing is answered or announced before it is committed (stores are group-committed).
    await this.d.store.durable();
    return this.answer(req, raw, forwarded, local);
  }

  /** Swarm, timing and signature checks of an account's subrequest (throws ProtocolError). */
  private async checkSubrequest(
    req: Exclude<RpcSubrequest, { method: "info" | "get_swarm" | "oxend_request" }>,
    now: number,
    forwarded: boolean,
  ): Promise<void> {
    this.requireSwarm(req.params.pubkey.hex);
    checkRequestTiming(req, now, { forwarded });
    const requirement = authRequirementFor(req);
    if (requirement) await this.auth.verify(requirement);
  }

  /** The reply to a subrequest applied (and committed) here; swarm-wide methods fan out first. */
  private async answer(
    req: RpcSubrequest,
    raw: unknown,
    forwarded: boolean,
    local: Record<string, unknown>,
  ): Promise<RpcResult> {
    // get_expiries answers `expiries` alone (no t/hf), as oxenss does.
    if (req.method === "get_expiries") return { status: 200, body: local };
    // `local` is this request's own object: extended in place, not spread (see commitStore).
    if (!SWARM_WIDE.has(req.method)) return { status: 200, body: Object.assign(local, this.misc()) };

    const swarm: Record<string, unknown> = { [this.d.selfEd25519Hex]: local };
    if (!forwarded) await fanOut(this.d, raw, req.method, swarm);
    const body: Record<string, unknown> = { swarm, ...this.misc() };
    if (req.method === "delete" && req.params.required && !forwarded) {
      const any = Object.values(swarm).some(
        (e) => !isSwarmFailure(e as object) && ((e as { deleted?: string[] }).deleted?.length ?? 0) > 0,
      );
      // oxenss keeps the swarm answer and only turns the status into 404.
      if (!any) return { status: 404, body, code: "NOT_FOUND" };
    }
    return { status: 200, body };
  }
}
