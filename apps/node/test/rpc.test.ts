import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBase64, sign, toBase64, toHex, utf8Encode, verify } from "@session/crypto";
import {
  deleteResponseSignatureMessage,
  MAX_MESSAGE_BODY,
  storeResponseSignatureMessage,
} from "@session/protocol/rpc";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { peerClient } from "../src/replication/peer.ts";
import type { RpcHandler } from "../src/rpc/handler.ts";
import { SubaccountRevocations } from "../src/storage/revocations.ts";
import { MessageStore } from "../src/storage/store.ts";
import { newAccount, signed } from "./helpers/node-net.ts";
import { rpcHandlerInSwarm } from "./helpers/rpc-handler.ts";

// One node, its own swarm, an injected clock: every RPC method, its auth and limits.
const nodeKeys = newAccount();
const selfHex = toHex(nodeKeys.ed25519.publicKey);
let clock: { t: number; now(): number };
let store: MessageStore;
let rpc: RpcHandler;
let events: EventEmitter;

beforeEach(() => {
  clock = { t: 1_700_000_000_000, now: () => clock.t };
  store = MessageStore.open(":memory:");
  events = new EventEmitter();
  rpc = rpcHandlerInSwarm(nodeKeys, store, {
    clock,
    events,
    // One node, no peers: nothing is forwarded.
    peers: peerClient({ keys: nodeKeys.ed25519, scheme: "http", fetch, now: () => clock.now() }),
  });
});

const call = (method: string, params: unknown) => rpc.handle({ method, params });
const data = (s: string) => toBase64(utf8Encode(s));

function store1(acct = newAccount(), text = "hi", extra: Record<string, unknown> = {}) {
  const now = clock.now();
  return call("store", {
    pubkey: acct.sessionId,
    namespace: 0,
    timestamp: now,
    ttl: 60_000,
    data: data(text),
    ...extra,
  });
}
const retrieve = (acct: ReturnType<typeof newAccount>, extra: Record<string, unknown> = {}) =>
  call(
    "retrieve",
    signed(acct, "retrieve", { pubkey: acct.sessionId, namespace: 0, timestamp: clock.now(), ...extra }),
  );

describe("store", () => {
  it("stores to a public inbox without a signature; the node signs the hash; dedups", async () => {
    const a = newAccount();
    const stored: unknown[] = [];
    events.on("stored", (m) => stored.push(m));
    const r = await store1(a);
    expect(r.status).toBe(200);
    const body = r.body as { hash: string; swarm: Record<string, { signature: string; hash: string }> };
    const entry = body.swarm[selfHex]!;
    expect(
      verify(
        fromBase64(entry.signature),
        storeResponseSignatureMessage(body.hash),
        nodeKeys.ed25519.publicKey,
      ),
    ).toBe(true);
    expect(
      ((await store1(a)).body as { swarm: Record<string, { already?: boolean }> }).swarm[selfHex]!.already,
    ).toBe(true);
    expect(stored).toHaveLength(1);
  });
  it("needs a valid signature outside public inboxes", async () => {
    const a = newAccount();
    const now = clock.now();
    const base = { pubkey: a.sessionId, namespace: 1, timestamp: now, ttl: 60_000, data: data("x") };
    expect((await call("store", base)).status).toBe(401);
    const good = signed(a, "store", { ...base, sig_timestamp: now });
    expect((await call("store", good)).status).toBe(200);
    const wrongKey = signed(newAccount(), "store", { ...base, sig_timestamp: now });
    expect((await call("store", { ...wrongKey, pubkey: a.sessionId })).status).toBe(401);
    const tampered = { ...good, signature: toBase64(sign(utf8Encode("nope"), a.ed25519.secretKey)) };
    expect((await call("store", tampered)).status).toBe(401);
  });
  it("enforces TTL, size and clock limits", async () => {
    const a = newAccount();
    expect((await store1(a, "x", { ttl: 1000 })).status).toBe(403);
    expect((await store1(a, "x", { ttl: 31 * 24 * 3600 * 1000 })).status).toBe(403);
    // oxenss: a parse error, 400 "invalid request: Message body exceeds maximum allowed length of 76800 bytes".
    expect(await store1(a, "x".repeat(MAX_MESSAGE_BODY + 1))).toMatchObject({
      status: 400,
      body: `invalid request: Message body exceeds maximum allowed length of ${MAX_MESSAGE_BODY} bytes`,
    });
    expect((await store1(a, "x", { timestamp: clock.now() + 60_000 })).status).toBe(406);
    expect(
      (await call("store", { pubkey: "05zz", namespace: 0, timestamp: clock.now(), ttl: 60_000, data: "" }))
        .status,
    ).toBe(400);
  });
});

describe("retrieve", () => {
  it("needs a fresh signature", async () => {
    const a = newAccount();
    await store1(a);
    // A missing signature is a malformed request (oxenss: "Required field 'signature' missing").
    const missing = await call("retrieve", { pubkey: a.sessionId, namespace: 0 });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain("signature");
    const old = signed(a, "retrieve", {
      pubkey: a.sessionId,
      namespace: 0,
      timestamp: clock.now() - 120_000,
    });
    expect((await call("retrieve", old)).status).toBe(406);
    const other = signed(newAccount(), "retrieve", {
      pubkey: a.sessionId,
      namespace: 0,
      timestamp: clock.now(),
    });
    expect((await call("retrieve", { ...other, pubkey: a.sessionId })).status).toBe(401);
  });
  it("pages with last_hash, max_count and max_size, reporting more", async () => {
    const a = newAccount();
    const hashes: string[] = [];
    for (let i = 0; i < 5; i++) hashes.push(((await store1(a, `m${i}`)).body as { hash: string }).hash);
    const all = (await retrieve(a)).body as { messages: { hash: string }[]; more: boolean };
    expect(all.messages.map((m) => m.hash)).toEqual(hashes);
    expect(all.more).toBe(false);
    const two = (await retrieve(a, { max_count: 2 })).body as { messages: { hash: string }[]; more: boolean };
    expect(two.messages.map((m) => m.hash)).toEqual(hashes.slice(0, 2));
    expect(two.more).toBe(true);
    const after = (await retrieve(a, { last_hash: hashes[2] })).body as { messages: { hash: string }[] };
    expect(after.messages.map((m) => m.hash)).toEqual(hashes.slice(3));
    const small = (await retrieve(a, { max_size: 10 })).body as { messages: unknown[]; more: boolean };
    expect(small.messages).toHaveLength(1);
    expect(small.more).toBe(true);
  });
  it("never returns an expired message; the sweep removes it", async () => {
    const a = newAccount();
    await store1(a, "short", { ttl: 10_000 });
    clock.t += 10_001;
    expect(((await retrieve(a)).body as { messages: unknown[] }).messages).toEqual([]);
    expect(store.sweep(clock.now())).toBe(1);
  });
});

describe("deletes and expiry", () => {
  it("delete: signed, swarm entry lists and signs what was deleted; required → 404", async () => {
    const a = newAccount();
    const h = ((await store1(a)).body as { hash: string }).hash;
    expect((await call("delete", { pubkey: a.sessionId, messages: [h] })).status).toBe(400);
    const forged = signed(newAccount(), "delete", { pubkey: a.sessionId, messages: [h] });
    expect((await call("delete", { ...forged, pubkey: a.sessionId })).status).toBe(401);
    const r = await call("delete", signed(a, "delete", { pubkey: a.sessionId, messages: [h] }));
    const entry = (r.body as { swarm: Record<string, { deleted: string[]; signature: string }> }).swarm[
      selfHex
    ]!;
    expect(entry.deleted).toEqual([h]);
    expect(
      verify(
        fromBase64(entry.signature),
        deleteResponseSignatureMessage(a.sessionId, [h], [h]),
        nodeKeys.ed25519.publicKey,
      ),
    ).toBe(true);
    const again = await call(
      "delete",
      signed(a, "delete", { pubkey: a.sessionId, messages: [h], required: true }),
    );
    expect(again.status).toBe(404);
  });
  it("delete_all and delete_before", async () => {
    const a = newAccount();
    await store1(a, "1");
    clock.t += 1000;
    const cut = clock.now();
    clock.t += 1000;
    await store1(a, "2");
    const before = await call(
      "delete_before",
      signed(a, "delete_before", { pubkey: a.sessionId, before: cut }),
    );
    expect(
      (before.body as { swarm: Record<string, { deleted: string[] }> }).swarm[selfHex]!.deleted,
    ).toHaveLength(1);
    const all = await call(
      "delete_all",
      signed(a, "delete_all", { pubkey: a.sessionId, namespace: "all", timestamp: clock.now() }),
    );
    expect(
      (all.body as { swarm: Record<string, { deleted: Record<string, string[]> }> }).swarm[selfHex]!.deleted[
        "0"
      ],
    ).toHaveLength(1);
    expect(((await retrieve(a)).body as { messages: unknown[] }).messages).toEqual([]);
  });
  it("expire shortens/extends; get_expiries reports; expire_all shortens all", async () => {
    const a = newAccount();
    const h = ((await store1(a)).body as { hash: string }).hash;
    const expiryOf = async () =>
      (
        (
          await call(
            "get_expiries",
            signed(a, "get_expiries", { pubkey: a.sessionId, messages: [h], timestamp: clock.now() }),
          )
        ).body as {
          expiries: Record<string, number>;
        }
      ).expiries[h];
    const orig = (await expiryOf())!;
    const later = orig + 60_000;
    const ext = await call(
      "expire",
      signed(a, "expire", { pubkey: a.sessionId, messages: [h], expiry: later, shorten: true }),
    );
    expect(
      (ext.body as { swarm: Record<string, { updated: string[]; unchanged: Record<string, number> }> }).swarm[
        selfHex
      ]!.unchanged[h],
    ).toBe(orig);
    await call(
      "expire",
      signed(a, "expire", { pubkey: a.sessionId, messages: [h], expiry: later, extend: true }),
    );
    expect(await expiryOf()).toBe(later);
    const soon = clock.now() + 20_000;
    const all = await call("expire_all", signed(a, "expire_all", { pubkey: a.sessionId, expiry: soon }));
    expect((all.body as { swarm: Record<string, { updated: string[] }> }).swarm[selfHex]!.updated).toEqual([
      h,
    ]);
    expect(await expiryOf()).toBe(soon);
  });
});

describe("meta methods", () => {
  it("info, get_swarm, batch, sequence and ifelse", async () => {
    const a = newAccount();
    expect(((await call("info", {})).body as { timestamp: number }).timestamp).toBe(clock.now());
    const swarm = (await call("get_swarm", { pubkey: a.sessionId })).body as {
      snodes: { pubkey_ed25519: string }[];
    };
    expect(swarm.snodes.map((s) => s.pubkey_ed25519)).toEqual([selfHex]);
    const now = clock.now();
    const st = {
      method: "store",
      params: { pubkey: a.sessionId, namespace: 0, timestamp: now, ttl: 60_000, data: data("b") },
    };
    const bad = {
      method: "store",
      params: { pubkey: a.sessionId, namespace: 1, timestamp: now, ttl: 60_000, data: data("b") },
    };
    const batch = (await call("batch", { requests: [bad, st] })).body as { results: { code: number }[] };
    expect(batch.results.map((r) => r.code)).toEqual([401, 200]);
    const seq = (await call("sequence", { requests: [bad, st] })).body as { results: { code: number }[] };
    expect(seq.results.map((r) => r.code)).toEqual([401]);
    // The wire format names the branch "then" (oxenss ifelse); built from JSON so it is no thenable.
    const ifelse = JSON.parse('{"if":{"hf_at_least":[19,0]},"then":{"method":"info","params":{}}}');
    const ife = (await call("ifelse", ifelse)).body as {
      condition: boolean;
      result: { code: number };
    };
    expect(ife.condition).toBe(true);
    expect(ife.result.code).toBe(200);
  });
  it("random and malformed bodies never produce a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.anything(), fc.record({ method: fc.string(), params: fc.anything() })),
        async (body) => {
          const r = await rpc.handle(body);
          return r.status < 500;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("subaccount revocations (SQLite)", () => {
  const owner = `03${"ab".repeat(32)}`;
  const tok = (i: number) => new Uint8Array([3, 3, 0, 0, ...new Uint8Array(32).fill(i)]);
  const msg = (hash: string, expiry: number) => ({
    hash,
    owner,
    namespace: 0,
    timestamp: 1,
    expiry,
    data: new Uint8Array([1]),
  });

  it("persist across a reopen; recorded only while the account holds messages", () => {
    const dir = mkdtempSync(join(tmpdir(), "revocations-"));
    try {
      const file = join(dir, "storage.db");
      let s = MessageStore.open(file);
      let rev = new SubaccountRevocations(s.db);
      expect(rev.revoke(owner, [tok(1)], 10)).toBe(0); // no messages: nothing to protect, nothing kept
      s.store(msg("h".repeat(43), 1_000));
      expect(rev.revoke(owner, [tok(1), tok(2)], 10)).toBe(2);
      expect(rev.revoke(owner, [tok(1)], 11)).toBe(0); // already revoked: refreshed, not counted
      s.close();
      s = MessageStore.open(file);
      rev = new SubaccountRevocations(s.db);
      expect(rev.isRevoked(owner, tok(1))).toBe(true);
      expect(rev.isRevoked(`03${"cd".repeat(32)}`, tok(1))).toBe(false);
      expect(rev.unrevoke(owner, [tok(1), tok(9)])).toBe(1);
      expect(rev.isRevoked(owner, tok(1))).toBe(false);
      // The account's last message expires: the sweep drops its revocations with it.
      expect(s.sweep(2_000)).toBe(1);
      expect(rev.dropOrphans()).toBe(1);
      expect(rev.count(owner)).toBe(0);
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the 50 most recent revocations of an account", () => {
    const rev = new SubaccountRevocations(store.db);
    store.store(msg("k".repeat(43), Number.MAX_SAFE_INTEGER));
    for (let i = 0; i < 60; i++) rev.revoke(owner, [tok(i)], 100 + i);
    expect(rev.count(owner)).toBe(50);
    expect(rev.isRevoked(owner, tok(9))).toBe(false);
    expect(rev.isRevoked(owner, tok(10))).toBe(true);
    // Re-revoking an old token makes it recent again.
    rev.revoke(owner, [tok(10)], 1_000);
    rev.revoke(owner, [tok(60)], 1_001);
    expect(rev.isRevoked(owner, tok(10))).toBe(true);
    expect(rev.isRevoked(owner, tok(11))).toBe(false);
  });
});
