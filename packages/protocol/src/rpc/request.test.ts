import { toBase64 } from "@session/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { errOf } from "../../test/helpers/errors.ts";
import { ProtocolError } from "../errors.ts";
import { parseRpcRequest, parseRpcRequestJson } from "./request.ts";

const PK = `05${"d2".repeat(32)}`;
const GROUP = `03${"aa".repeat(32)}`;
const SIG = toBase64(new Uint8Array(64).fill(7));
const HASH = "A".repeat(43);
const T = 1_700_000_000_000;

describe("parseRpcRequest: store", () => {
  it("parses an unauthenticated public-inbox store", () => {
    const r = parseRpcRequest({
      method: "store",
      params: { pubkey: PK, ttl: 86400000, timestamp: T, data: toBase64(new Uint8Array([1, 2, 3])) },
    });
    expect(r.method).toBe("store");
    if (r.method !== "store") return;
    expect(r.params.namespace).toBe(0);
    expect(r.params.expiry).toBe(T + 86400000);
    expect(r.params.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(r.params.pubkey.hex).toBe(PK);
    expect(r.params.auth).toBeUndefined();
  });

  it("accepts stringified timestamp/ttl and the pubKey alias", () => {
    const r = parseRpcRequest({
      method: "store",
      params: { pubKey: PK, ttl: "20000", timestamp: String(T), data: "" },
    });
    expect(r.method === "store" && r.params.expiry).toBe(T + 20000);
  });

  it("parses a signed store with sig_timestamp and subaccount", () => {
    const token = toBase64(new Uint8Array(36).fill(3));
    const r = parseRpcRequest({
      method: "store",
      params: {
        pubkey: GROUP,
        namespace: 11,
        expiry: T + 1000,
        timestamp: T,
        data: "AAAA",
        signature: SIG,
        sig_timestamp: T + 5,
        subaccount: token,
        subaccount_sig: SIG,
      },
    });
    if (r.method !== "store") throw new Error("wrong method");
    expect(r.params.auth?.sigTimestamp).toBe(T + 5);
    expect(r.params.auth?.subaccount?.token).toEqual(new Uint8Array(36).fill(3));
    expect(r.params.auth?.signature).toHaveLength(64);
  });

  it("rejects data over 76800 bytes as a parse error (oxenss: 400, not 413)", () => {
    const data = toBase64(new Uint8Array(76_801));
    const e = errOf(() =>
      parseRpcRequest({ method: "store", params: { pubkey: PK, ttl: 1e6, timestamp: T, data } }),
    );
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.status).toBe(400);
    expect(e.message).toBe("invalid request: Message body exceeds maximum allowed length of 76800 bytes");
    // exactly at the limit is fine
    const ok = toBase64(new Uint8Array(76_800));
    expect(() =>
      parseRpcRequest({ method: "store", params: { pubkey: PK, ttl: 1e6, timestamp: T, data: ok } }),
    ).not.toThrow();
  });

  it("requires exactly one of ttl/expiry, and ms timestamps", () => {
    expect(
      errOf(() => parseRpcRequest({ method: "store", params: { pubkey: PK, timestamp: T, data: "" } })).code,
    ).toBe("BAD_REQUEST");
    expect(
      errOf(() =>
        parseRpcRequest({
          method: "store",
          params: { pubkey: PK, timestamp: T, ttl: 1, expiry: T, data: "" },
        }),
      ).code,
    ).toBe("BAD_REQUEST");
    expect(
      errOf(() =>
        parseRpcRequest({
          method: "store",
          params: { pubkey: PK, timestamp: 999_999_999, ttl: 1, data: "" },
        }),
      ).message,
    ).toMatch(/milliseconds/);
  });

  it("maps a bad pubkey to INVALID_PUBKEY", () => {
    const e = errOf(() =>
      parseRpcRequest({ method: "store", params: { pubkey: "05ab", ttl: 1, timestamp: T, data: "" } }),
    );
    expect(e.code).toBe("INVALID_PUBKEY");
    expect(e.status).toBe(400);
  });

  it("rejects pubkey_ed25519 on non-05 pubkeys", () => {
    const e = errOf(() =>
      parseRpcRequest({
        method: "delete_all",
        params: { pubkey: GROUP, timestamp: T, signature: SIG, pubkey_ed25519: "ab".repeat(32) },
      }),
    );
    expect(e.message).toMatch(/only permitted for 05/);
  });
});

describe("parseRpcRequest: other methods", () => {
  it("retrieve: auth required once any auth field or an auth namespace is given", () => {
    const r = parseRpcRequest({ method: "retrieve", params: { pubkey: PK, namespace: -10 } });
    expect(r.method === "retrieve" && r.params.auth).toBeUndefined();
    expect(
      errOf(() => parseRpcRequest({ method: "retrieve", params: { pubkey: PK, namespace: 3 } })).code,
    ).toBe("BAD_REQUEST");
    const s = parseRpcRequest({
      method: "retrieve",
      params: { pubkey: PK, namespace: 3, timestamp: T, signature: SIG, lastHash: HASH, max_size: -5 },
    });
    if (s.method !== "retrieve") throw new Error();
    expect(s.params.auth?.timestamp).toBe(T);
    expect(s.params.lastHash).toBe(HASH);
    expect(s.params.maxSize).toBe(-5);
    // empty last_hash is "not given"
    const e = parseRpcRequest({ method: "retrieve", params: { pubkey: PK, namespace: -10, last_hash: "" } });
    expect(e.method === "retrieve" && e.params.lastHash).toBeUndefined();
  });

  it("delete accepts a single hash string and validates hashes", () => {
    const r = parseRpcRequest({ method: "delete", params: { pubkey: PK, messages: HASH, signature: SIG } });
    expect(r.method === "delete" && r.params.messages).toEqual([HASH]);
    expect(
      errOf(() =>
        parseRpcRequest({ method: "delete", params: { pubkey: PK, messages: ["short"], signature: SIG } }),
      ).code,
    ).toBe("BAD_REQUEST");
    expect(
      errOf(() => parseRpcRequest({ method: "delete", params: { pubkey: PK, messages: [], signature: SIG } }))
        .code,
    ).toBe("BAD_REQUEST");
  });

  it("delete_all / delete_before / expire_all accept 'all'", () => {
    const r = parseRpcRequest({
      method: "delete_all",
      params: { pubkey: PK, namespace: "all", timestamp: T, signature: SIG },
    });
    expect(r.method === "delete_all" && r.params.namespace).toBe("all");
    const b = parseRpcRequest({ method: "delete_before", params: { pubkey: PK, before: T, signature: SIG } });
    expect(b.method === "delete_before" && b.params.namespace).toBe(0);
    expect(
      errOf(() =>
        parseRpcRequest({
          method: "expire_all",
          params: { pubkey: PK, namespace: 40000, expiry: T, signature: SIG },
        }),
      ).code,
    ).toBe("BAD_REQUEST");
  });

  it("expire: shorten xor extend; expiry list length must match", () => {
    const ok = parseRpcRequest({
      method: "expire",
      params: { pubkey: PK, messages: [HASH, HASH], expiry: [T, T + 1], extend: true, signature: SIG },
    });
    expect(ok.method === "expire" && ok.params.expiry).toEqual([T, T + 1]);
    expect(
      errOf(() =>
        parseRpcRequest({
          method: "expire",
          params: { pubkey: PK, messages: [HASH], expiry: T, shorten: true, extend: true, signature: SIG },
        }),
      ).code,
    ).toBe("BAD_REQUEST");
    expect(
      errOf(() =>
        parseRpcRequest({
          method: "expire",
          params: { pubkey: PK, messages: [HASH], expiry: [T, T], signature: SIG },
        }),
      ).code,
    ).toBe("BAD_REQUEST");
  });

  it("get_swarm alias, info, oxend_request", () => {
    expect(parseRpcRequest({ method: "get_snodes_for_pubkey", params: { pubKey: PK } }).method).toBe(
      "get_swarm",
    );
    expect(parseRpcRequest({ method: "info", params: {} })).toEqual({ method: "info", params: {} });
    expect(
      parseRpcRequest({ method: "oxend_request", params: { endpoint: "get_service_nodes" } }).method,
    ).toBe("oxend_request");
    expect(
      errOf(() => parseRpcRequest({ method: "oxend_request", params: { endpoint: "stop_daemon" } })).code,
    ).toBe("BAD_REQUEST");
  });

  it("batch: 1..20 subrequests, no meta-requests inside", () => {
    const sub = { method: "info", params: {} };
    const r = parseRpcRequest({
      method: "batch",
      params: { requests: [sub, { method: "get_swarm", params: { pubkey: PK } }] },
    });
    expect(r.method === "batch" && r.requests.map((x) => x.method)).toEqual(["info", "get_swarm"]);
    expect(errOf(() => parseRpcRequest({ method: "batch", params: { requests: [] } })).code).toBe(
      "BAD_REQUEST",
    );
    expect(
      errOf(() =>
        parseRpcRequest({ method: "sequence", params: { requests: Array.from({ length: 21 }, () => sub) } }),
      ).message,
    ).toMatch(/limit/);
    expect(
      errOf(() =>
        parseRpcRequest({
          method: "batch",
          params: { requests: [{ method: "batch", params: { requests: [sub] } }] },
        }),
      ).message,
    ).toMatch(/meta-requests/);
    expect(
      errOf(() =>
        parseRpcRequest({ method: "batch", params: { requests: [{ method: "nope", params: {} }] } }),
      ).code,
    ).toBe("BAD_REQUEST");
  });

  it("ifelse nests requests and needs a condition and a branch", () => {
    const r = parseRpcRequest({
      method: "ifelse",
      params: JSON.parse('{"if": {"hf_at_least": [19]}, "then": {"method": "info", "params": {}}}'),
    });
    expect(r).toEqual({
      method: "ifelse",
      condition: { hfAtLeast: [19, 0] },
      thenRequest: { method: "info", params: {} },
    });
    expect(
      errOf(() =>
        parseRpcRequest({
          method: "ifelse",
          params: JSON.parse('{"if": {}, "then": {"method": "info", "params": {}}}'),
        }),
      ).code,
    ).toBe("BAD_REQUEST");
    expect(
      errOf(() => parseRpcRequest({ method: "ifelse", params: { if: { height_at_least: 1 } } })).code,
    ).toBe("BAD_REQUEST");
  });

  it("unknown method → UNSUPPORTED_METHOD; bad envelope → typed errors", () => {
    expect(errOf(() => parseRpcRequest({ method: "frobnicate", params: {} })).code).toBe(
      "UNSUPPORTED_METHOD",
    );
    expect(errOf(() => parseRpcRequest({ params: {} })).code).toBe("BAD_REQUEST");
    expect(errOf(() => parseRpcRequest({ method: "info" })).code).toBe("BAD_REQUEST");
    // oxenss: JSON that is not an object has no `method` field.
    expect(errOf(() => parseRpcRequest("x")).message).toBe("invalid json: no `method` field");
    expect(errOf(() => parseRpcRequestJson("{")).code).toBe("INVALID_JSON");
  });

  it("random JSON never causes an untyped throw", () => {
    const methods = fc.constantFrom(
      "store",
      "retrieve",
      "delete",
      "delete_all",
      "delete_before",
      "expire",
      "expire_all",
      "get_expiries",
      "get_swarm",
      "info",
      "oxend_request",
      "revoke_subaccount",
      "unrevoke_subaccount",
      "batch",
      "sequence",
      "ifelse",
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(PK, GROUP, SIG, HASH, T, "all", -10, 3),
    );
    const params = fc.dictionary(
      fc.constantFrom(
        "pubkey",
        "pubKey",
        "namespace",
        "timestamp",
        "ttl",
        "expiry",
        "data",
        "signature",
        "messages",
        "requests",
        "if",
        "then",
        "else",
        "subaccount",
        "subaccount_sig",
        "pubkey_ed25519",
        "last_hash",
        "before",
        "revoke",
        "endpoint",
        "max_size",
        "shorten",
        "extend",
      ),
      value,
    );
    fc.assert(
      fc.property(methods, params, (method, p) => {
        try {
          parseRpcRequest({ method, params: p });
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
