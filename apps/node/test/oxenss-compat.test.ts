import { toBase64, toHex, utf8Encode } from "@session/crypto";
import { type NodeInfo, toBase32z } from "@session/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { peerClient } from "../src/replication/peer.ts";
import type { RpcHandler } from "../src/rpc/handler.ts";
import type { NameResolver } from "../src/rpc/oxend.ts";
import { MessageStore } from "../src/storage/store.ts";
import { newAccount, signed } from "./helpers/node-net.ts";
import { rpcHandlerInSwarm } from "./helpers/rpc-handler.ts";

/*
 * One node's storage RPC against oxenss's behaviour (session-foundation/session-storage-server
 * oxenss/rpc/request_handler.cpp, client_rpc_endpoints.cpp, storage/database.cpp) and oxend's
 * get_service_nodes / ons_resolve as oxenss relays them (oxen-io/oxen-core core_rpc_server.cpp).
 */

const nodeKeys = newAccount();
const selfHex = toHex(nodeKeys.ed25519.publicKey);
const others: NodeInfo[] = Array.from({ length: 4 }, (_, i) => ({
  pubkey_ed25519: String(i + 1).repeat(64),
  pubkey_x25519: String(i + 5).repeat(64),
  public_ip: `10.0.0.${i + 1}`,
  storage_port: 22000 + i,
  swarm_id: "0",
  ...(i === 3 ? { active: false } : {}),
}));
let clock: { t: number; now(): number };
let store: MessageStore;
let rpc: RpcHandler;
let names: NameResolver | undefined;

type PeerSend = (peer: NodeInfo, body: unknown) => Promise<{ status: number; body: unknown }>;
const unreachable: PeerSend = async () => {
  throw new Error("unreachable");
};

function handler(height = 0, withNames = true, send: PeerSend = unreachable) {
  return rpcHandlerInSwarm(
    nodeKeys,
    store,
    {
      clock,
      // Peers are unreachable unless a test answers for them.
      peers: { sign: (b: unknown) => b, send } as unknown as ReturnType<typeof peerClient>,
      height: () => height,
      names: withNames
        ? { resolve: (h) => names?.resolve(h) ?? Promise.reject(new Error("no names")) }
        : undefined,
    },
    others,
  );
}

beforeEach(() => {
  clock = { t: 1_700_000_000_000, now: () => clock.t };
  store = MessageStore.open(":memory:");
  names = undefined;
  rpc = handler();
});
afterEach(() => store.close());

const call = (method: string, params: unknown) => rpc.handle({ method, params });
const data = (s: string) => toBase64(utf8Encode(s));

async function storeAt(acct: ReturnType<typeof newAccount>, timestamp: number, text: string) {
  const r = await call("store", {
    pubkey: acct.sessionId,
    namespace: 0,
    timestamp,
    ttl: 600_000,
    data: data(text),
  });
  expect(r.status).toBe(200);
  return (r.body as { hash: string }).hash;
}

describe("delete_before", () => {
  it("deletes messages whose timestamp equals `before` (database.cpp: timestamp <= ?)", async () => {
    const a = newAccount();
    const cut = clock.now();
    const atCut = await storeAt(a, cut, "at");
    const after = await storeAt(a, cut + 1, "after");
    const r = await call("delete_before", signed(a, "delete_before", { pubkey: a.sessionId, before: cut }));
    expect(r.status).toBe(200);
    const swarm = (r.body as { swarm: Record<string, { deleted: string[] }> }).swarm;
    expect(swarm[selfHex]!.deleted).toEqual([atCut]);
    expect(store.get(after, clock.now())).toBeTruthy();
  });
});

describe("error bodies are oxenss's plain text", () => {
  it("auth, parse and timing failures: status and exact wording; the typed code rides beside", async () => {
    const a = newAccount();
    const other = signed(newAccount(), "retrieve", {
      pubkey: a.sessionId,
      namespace: 0,
      timestamp: clock.now(),
    });
    const bad = await call("retrieve", { ...other, pubkey: a.sessionId });
    expect(bad).toEqual({
      status: 401,
      body: "retrieve signature verification failed",
      code: "BAD_SIGNATURE",
    });
    const missing = await call(
      "delete",
      signed(a, "delete", { pubkey: a.sessionId, messages: ["A".repeat(43)] }),
    );
    expect(missing.status).toBe(200);
    const noMessages = await call("delete", { pubkey: a.sessionId, signature: toBase64(new Uint8Array(64)) });
    expect(noMessages).toMatchObject({
      status: 400,
      body: "invalid request: Required field 'messages' missing",
    });
    expect(await call("frob", {})).toMatchObject({ status: 400, body: "no method frob" });
    const future = await call(
      "delete_before",
      signed(a, "delete_before", { pubkey: a.sessionId, before: clock.now() + 61_000 }),
    );
    expect(future).toMatchObject({ status: 401, body: "delete_before timestamp too far in the future" });
    const ttl = await call("store", { pubkey: a.sessionId, timestamp: clock.now(), ttl: 5, data: "" });
    expect(ttl).toMatchObject({ status: 403, body: "Provided expiry/TTL is not valid." });
  });

  it("inside batch and sequence results, a failed subrequest's body is the string", async () => {
    const a = newAccount();
    const now = clock.now();
    const unsigned = {
      method: "store",
      params: { pubkey: a.sessionId, namespace: 1, timestamp: now, ttl: 60_000, data: data("b") },
    };
    const r = await call("batch", { requests: [unsigned] });
    // Only `results` (no t/hf) in a batch answer.
    expect(r).toEqual({
      status: 200,
      body: { results: [{ code: 401, body: "store: signature required to store to namespace 1" }] },
    });
    const seq = await call("sequence", { requests: [unsigned, unsigned] });
    expect((seq.body as { results: unknown[] }).results).toHaveLength(1);
  });

  it("delete with required=true that deleted nothing is 404 with the swarm answer kept", async () => {
    const a = newAccount();
    const r = await call(
      "delete",
      signed(a, "delete", { pubkey: a.sessionId, messages: ["A".repeat(43)], required: true }),
    );
    expect(r.status).toBe(404);
    expect((r.body as { swarm: Record<string, { deleted: string[] }> }).swarm[selfHex]!.deleted).toEqual([]);
  });
});

describe("answer shapes", () => {
  it("store: the entry node's own entry carries `t`; a peer's refusal is {failed, code, reason}", async () => {
    rpc = handler(0, true, async (peer) =>
      peer.public_ip === "10.0.0.1"
        ? { status: 401, body: "store signature verification failed" }
        : { status: 200, body: { swarm: {} } },
    );
    const a = newAccount();
    const r = await call("store", {
      pubkey: a.sessionId,
      namespace: 0,
      timestamp: clock.now(),
      ttl: 60_000,
      data: data("x"),
    });
    const swarm = (r.body as { swarm: Record<string, Record<string, unknown>> }).swarm;
    expect(swarm[selfHex]!.t).toBe(clock.now());
    expect(swarm["1".repeat(64)]).toEqual({
      failed: true,
      code: 401,
      reason: "store signature verification failed",
    });
    expect(swarm["2".repeat(64)]).toEqual({ failed: true, bad_peer_response: true });
  });

  it("get_expiries returns only `expiries`", async () => {
    const a = newAccount();
    const h = await storeAt(a, clock.now(), "x");
    const r = await call(
      "get_expiries",
      signed(a, "get_expiries", { pubkey: a.sessionId, messages: [h], timestamp: clock.now() }),
    );
    expect(r).toEqual({ status: 200, body: { expiries: { [h]: clock.now() + 600_000 } } });
  });

  it("ifelse height is the registry's chain height, so height conditions work", async () => {
    rpc = handler(1234);
    const req = (cond: string) =>
      rpc.handle(
        JSON.parse(`{"method":"ifelse","params":{"if":${cond},"then":{"method":"info","params":{}}}}`),
      );
    const yes = (await req('{"height_at_least":1234}')).body as { height: number; condition: boolean };
    expect(yes).toMatchObject({ height: 1234, condition: true });
    expect(((await req('{"height_before":1234}')).body as { condition: boolean }).condition).toBe(false);
  });

  it("get_swarm entries as oxenss swarm_to_json writes them", async () => {
    const a = newAccount();
    const r = (await call("get_swarm", { pubkey: a.sessionId })).body as {
      snodes: Record<string, unknown>[];
    };
    const me = r.snodes.find((s) => s.pubkey_ed25519 === selfHex)!;
    expect(me).toEqual({
      address: `${toBase32z(nodeKeys.ed25519.publicKey)}.snode`,
      ip: "127.0.0.1",
      port: "1",
      port_https: 1,
      pubkey_ed25519: selfHex,
      pubkey_legacy: selfHex,
      pubkey_x25519: toHex(nodeKeys.x25519.publicKey),
    });
  });
});

describe("oxend_request dispatches by endpoint", () => {
  it("get_service_nodes honours fields, limit and active_only", async () => {
    const r = await call("oxend_request", {
      endpoint: "get_service_nodes",
      params: { active_only: true, fields: { public_ip: true, pubkey_ed25519: true }, limit: 2 },
    });
    expect(r.status).toBe(200);
    const body = r.body as {
      result: { service_node_states: Record<string, unknown>[]; status: string };
      t: number;
    };
    expect(body.t).toBe(clock.now());
    expect(body.result.status).toBe("OK");
    expect(body.result.service_node_states).toHaveLength(2);
    for (const s of body.result.service_node_states) {
      expect(Object.keys(s).sort()).toEqual(["pubkey_ed25519", "public_ip"]);
      expect(s.public_ip).not.toBe("10.0.0.4");
    }
    const all = (
      await call("oxend_request", { endpoint: "get_service_nodes", params: { active_only: true } })
    ).body as { result: { service_node_states: unknown[]; height: number } };
    expect(all.result.service_node_states).toHaveLength(4);
    expect(all.result.height).toBe(0);
    const bad = await call("oxend_request", { endpoint: "get_service_nodes", params: { limit: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/^Unable to parse request: /);
  });

  it("ons_resolve goes to the name resolver; nothing configured fails as oxenss without oxend", async () => {
    const hash = toBase64(new Uint8Array(32).fill(9));
    const asked: string[] = [];
    names = {
      resolve: async (h) => {
        asked.push(h);
        return { encrypted_value: "ab".repeat(40), nonce: "cd".repeat(24) };
      },
    };
    const r = await call("oxend_request", { endpoint: "ons_resolve", params: { type: 0, name_hash: hash } });
    expect(r.status).toBe(200);
    expect((r.body as { result: unknown }).result).toEqual({
      encrypted_value: "ab".repeat(40),
      nonce: "cd".repeat(24),
    });
    // 64 hex digits name the same hash.
    await call("oxend_request", { endpoint: "ons_resolve", params: { type: 0, name_hash: "09".repeat(32) } });
    expect(asked).toEqual([hash, hash]);
    names = { resolve: async () => null };
    const none = await call("oxend_request", {
      endpoint: "ons_resolve",
      params: { type: 0, name_hash: hash },
    });
    expect((none.body as { result: unknown }).result).toEqual({});
    const badHash = await call("oxend_request", {
      endpoint: "ons_resolve",
      params: { type: 0, name_hash: "x" },
    });
    expect(badHash).toMatchObject({
      status: 400,
      body: "RPC error -1: Unable to resolve ONS address: invalid 'name_hash' value 'x'",
    });

    // A node without a resolver: oxenss's answer when oxend gives no reply.
    rpc = handler(0, false);
    expect(
      await call("oxend_request", { endpoint: "ons_resolve", params: { type: 0, name_hash: hash } }),
    ).toMatchObject({
      status: 400,
      body: "Unknown oxend error",
    });
  });

  it("any other endpoint is refused with oxenss's parse error", async () => {
    expect(await call("oxend_request", { endpoint: "get_info" })).toMatchObject({
      status: 400,
      body: "invalid request: Invalid oxend endpoint 'get_info'",
    });
  });
});
