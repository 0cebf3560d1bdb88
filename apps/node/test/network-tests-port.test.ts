import { fromBase64, fromHex, toBase64, utf8Encode, verify } from "@session/crypto";
import { deleteAllResponseSignatureMessage, deleteResponseSignatureMessage } from "@session/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newAccount, rpc, signed, TestNet } from "./helpers/node-net.ts";

/*
 * A port of oxen-storage-server's operator acceptance suite (network-tests/*.py, OxenMQ there)
 * to HTTP against our nodes: two real nodes of one swarm; like the originals, requests go to one
 * member and results are read from another. Each test names the original it follows.
 */
const net = new TestNet();
let A: string;
let B: string;
let nodeKeys: Record<string, Uint8Array>;
beforeAll(async () => {
  const nodes = await net.start(2);
  A = nodes[0]!.url;
  B = nodes[1]!.url;
  nodeKeys = Object.fromEntries(nodes.map((n) => [n.info.pubkey_ed25519, n.keys.ed25519.publicKey]));
}, 30_000);
afterAll(() => net.stop());

type Acct = ReturnType<typeof newAccount>;
async function storeN(a: Acct, n: number, ns = 0, url = A, tag = "msg") {
  const out: { hash: string }[] = [];
  for (let i = 0; i < n; i++) {
    const now = Date.now();
    const base = {
      pubkey: a.sessionId,
      namespace: ns,
      timestamp: now,
      ttl: 60_000,
      data: toBase64(utf8Encode(`${tag} ${i}`)),
    };
    const params = ns % 10 === 0 ? base : signed(a, "store", { ...base, sig_timestamp: now });
    const r = await rpc(url, "store", params);
    expect(r.status).toBe(200);
    out.push({ hash: r.body.hash });
  }
  return out;
}
const retrieve = (a: Acct, extra: Record<string, unknown> = {}, url = B) =>
  rpc(
    url,
    "retrieve",
    signed(a, "retrieve", { pubkey: a.sessionId, namespace: 0, timestamp: Date.now(), ...extra }),
  );
const checkSwarmSigs = (swarm: Record<string, { signature: string }>, msg: (pk: string) => Uint8Array) => {
  expect(Object.keys(swarm).sort()).toEqual(Object.keys(nodeKeys).sort());
  for (const [pk, e] of Object.entries(swarm))
    expect(verify(fromBase64(e.signature), msg(pk), nodeKeys[pk]!)).toBe(true);
};

describe("test_store_retrieve.py", () => {
  it("test_store_retrieve_multiple: five messages in order, then only those after last_hash", async () => {
    const a = newAccount();
    const msgs = await storeN(a, 5);
    const r = await retrieve(a);
    expect(r.body.messages.map((m: { hash: string }) => m.hash)).toEqual(msgs.map((m) => m.hash));
    const after = await retrieve(a, { last_hash: msgs[2]!.hash });
    expect(after.body.messages.map((m: { hash: string }) => m.hash)).toEqual(
      msgs.slice(3).map((m) => m.hash),
    );
  });
  it("test_store_sig_timestamp: a stale sig_timestamp is refused, a fresh one accepted", async () => {
    const a = newAccount();
    const now = Date.now();
    const base = {
      pubkey: a.sessionId,
      namespace: 1,
      timestamp: now,
      ttl: 60_000,
      data: toBase64(utf8Encode("x")),
    };
    expect(
      (await rpc(A, "store", signed(a, "store", { ...base, sig_timestamp: now - 5 * 60_000 }))).status,
    ).toBe(406);
    expect((await rpc(A, "store", signed(a, "store", { ...base, sig_timestamp: now }))).status).toBe(200);
  });
});

describe("test_deletes.py", () => {
  it("test_delete_all: every member deletes and signs; nothing is left", async () => {
    const a = newAccount();
    const msgs = await storeN(a, 5);
    const ts = Date.now();
    const r = await rpc(B, "delete_all", signed(a, "delete_all", { pubkey: a.sessionId, timestamp: ts }));
    const hashes = msgs.map((m) => m.hash).sort();
    for (const e of Object.values(r.body.swarm) as { deleted: string[] }[]) expect(e.deleted).toEqual(hashes);
    checkSwarmSigs(r.body.swarm, () => deleteAllResponseSignatureMessage(a.sessionId, ts, hashes));
    expect((await retrieve(a, {}, A)).body.messages).toEqual([]);
  });
  it("test_stale_delete_all: a timestamp two minutes old is refused", async () => {
    const a = newAccount();
    const r = await rpc(
      A,
      "delete_all",
      signed(a, "delete_all", { pubkey: a.sessionId, timestamp: Date.now() - 120_000 }),
    );
    expect(r.status).toBe(406);
  });
  it("test_delete_required: 404 once nothing is left to delete, but only when required", async () => {
    const a = newAccount();
    const msgs = await storeN(a, 2);
    const del = [...msgs.map((m) => m.hash).sort(), "garbageYrzcuCXO3fZkmk/h3xkMQ3vCh94i5HzLmj3I"];
    const params = signed(a, "delete", { pubkey: a.sessionId, messages: del, required: true });
    const first = await rpc(B, "delete", params);
    expect(first.status).toBe(200);
    checkSwarmSigs(first.body.swarm, () => deleteResponseSignatureMessage(a.sessionId, del, del.slice(0, 2)));
    expect((await rpc(B, "delete", params)).status).toBe(404);
    const notRequired = signed(a, "delete", { pubkey: a.sessionId, messages: del });
    expect((await rpc(B, "delete", notRequired)).status).toBe(200);
  });
  it("test_delete_before: only messages older than `before` go", async () => {
    const a = newAccount();
    const old = await storeN(a, 2);
    await new Promise((r) => setTimeout(r, 20));
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    // Message hashes cover the data, not the time: later messages need other contents.
    const recent = await storeN(a, 2, 0, A, "recent");
    const r = await rpc(A, "delete_before", signed(a, "delete_before", { pubkey: a.sessionId, before }));
    for (const e of Object.values(r.body.swarm) as { deleted: string[] }[]) {
      expect(e.deleted).toEqual(old.map((m) => m.hash).sort());
    }
    const rr = await retrieve(a);
    expect(rr.body.messages.map((m: { hash: string }) => m.hash)).toEqual(recent.map((m) => m.hash));
  });
});

describe("test_expire.py", () => {
  it("test_expire_shorten_extend: shorten only lowers, extend only raises", async () => {
    const a = newAccount();
    const [m] = await storeN(a, 1);
    const get = async () =>
      (
        await rpc(
          B,
          "get_expiries",
          signed(a, "get_expiries", { pubkey: a.sessionId, messages: [m!.hash], timestamp: Date.now() }),
        )
      ).body.expiries[m!.hash] as number;
    const orig = await get();
    const longer = orig + 30_000;
    const r1 = await rpc(
      A,
      "expire",
      signed(a, "expire", { pubkey: a.sessionId, messages: [m!.hash], expiry: longer, shorten: true }),
    );
    for (const e of Object.values(r1.body.swarm) as {
      updated: string[];
      unchanged: Record<string, number>;
    }[]) {
      expect(e.updated).toEqual([]);
      expect(e.unchanged[m!.hash]).toBe(orig);
    }
    await rpc(
      A,
      "expire",
      signed(a, "expire", { pubkey: a.sessionId, messages: [m!.hash], expiry: longer, extend: true }),
    );
    expect(await get()).toBe(longer);
    const shorter = Date.now() + 20_000;
    await rpc(
      A,
      "expire",
      signed(a, "expire", { pubkey: a.sessionId, messages: [m!.hash], expiry: shorter, shorten: true }),
    );
    expect(await get()).toBe(shorter);
  });
  it("test_stale_expire_all: a stale signature timestamp… expiry in the past is refused", async () => {
    const a = newAccount();
    await storeN(a, 1);
    const r = await rpc(
      A,
      "expire_all",
      signed(a, "expire_all", { pubkey: a.sessionId, expiry: Date.now() - 120_000 }),
    );
    expect(r.status).toBe(406);
  });
});

describe("test_msg_ns.py", () => {
  it("test_store_ns: namespaces are separate inboxes; a private one needs a signature", async () => {
    const a = newAccount();
    const n0 = await storeN(a, 1, 0);
    const n42 = await storeN(a, 1, 42);
    const n1 = await storeN(a, 1, 1);
    for (const [ns, want] of [
      [0, n0],
      [42, n42],
      [1, n1],
    ] as const) {
      const r = await retrieve(a, { namespace: ns });
      expect(r.body.messages.map((m: { hash: string }) => m.hash)).toEqual(want.map((m) => m.hash));
    }
    const unsigned = { pubkey: a.sessionId, namespace: 1, timestamp: Date.now(), ttl: 60_000, data: "AAAA" };
    expect((await rpc(A, "store", unsigned)).status).toBe(401);
  });
  it("test_store_invalid_ns: a namespace outside int16 is refused", async () => {
    const a = newAccount();
    const p = { pubkey: a.sessionId, namespace: 40_000, timestamp: Date.now(), ttl: 60_000, data: "AAAA" };
    expect((await rpc(A, "store", p)).status).toBe(400);
  });
});

describe("test_batch.py and test_ifelse.py", () => {
  it("test_batch_json / test_sequence / test_failing_sequence", async () => {
    const a = newAccount();
    const now = Date.now();
    const st = (i: number) => ({
      method: "store",
      params: {
        pubkey: a.sessionId,
        namespace: 0,
        timestamp: now + i,
        ttl: 60_000,
        data: toBase64(utf8Encode(`b${i}`)),
      },
    });
    const bad = {
      method: "store",
      params: { pubkey: a.sessionId, namespace: 1, timestamp: now, ttl: 60_000, data: "AAAA" },
    };
    const batch = await rpc(A, "batch", { requests: [st(1), bad, st(2)] });
    expect(batch.body.results.map((r: { code: number }) => r.code)).toEqual([200, 401, 200]);
    const seq = await rpc(A, "sequence", { requests: [st(3), bad, st(4)] });
    expect(seq.body.results.map((r: { code: number }) => r.code)).toEqual([200, 401]);
    expect((await retrieve(a)).body.messages).toHaveLength(3);
  });
  it("test_ifelse: the branch follows the node version", async () => {
    const yes = await rpc(
      A,
      "ifelse",
      JSON.parse(
        '{"if":{"v_at_least":[2,0,0]},"then":{"method":"info","params":{}},"else":{"method":"info","params":{}}}',
      ),
    );
    expect(yes.body.condition).toBe(true);
    expect(yes.body.result.code).toBe(200);
    const no = await rpc(
      A,
      "ifelse",
      JSON.parse('{"if":{"v_before":[1,0,0]},"then":{"method":"info","params":{}}}'),
    );
    expect(no.body.condition).toBe(false);
    expect(no.body.result).toBeUndefined();
  });
});

describe("test_session_auth.py", () => {
  it("test_session_auth: a 05 account signs with its Ed25519 key, which must match the X25519 id", async () => {
    const a = newAccount();
    await storeN(a, 1);
    expect((await retrieve(a)).status).toBe(200);
    const other = newAccount();
    const forged = signed(other, "retrieve", { pubkey: a.sessionId, namespace: 0, timestamp: Date.now() });
    expect((await rpc(B, "retrieve", { ...forged, pubkey: a.sessionId })).status).toBe(401);
    expect(fromHex(a.sessionId).length).toBe(33);
  });
});
