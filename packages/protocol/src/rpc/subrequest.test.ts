import { describe, expect, it } from "vitest";
import { parseSubrequest } from "./subrequest.ts";

const pubkey = `05${"a".repeat(64)}`;
const now = 1_765_000_000_000;

describe("parseSubrequest", () => {
  it("reads own properties only: an inherited pubkey is missing", () => {
    const inherited = Object.assign(Object.create({ pubkey }), { timestamp: now, ttl: 1, data: "" });
    expect(() => parseSubrequest("store", inherited)).toThrowError(
      expect.objectContaining({ code: "INVALID_PUBKEY" }),
    );
  });

  it('a JSON "__proto__" key is an ignored field, not a prototype', () => {
    const json = JSON.parse(`{"pubkey":"${pubkey}","__proto__":{"namespace":5}}`);
    const r = parseSubrequest("retrieve", json);
    expect(r).toMatchObject({ method: "retrieve", params: { namespace: 0 } });
    expect(Object.getPrototypeOf(r.params)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).namespace).toBeUndefined();
  });

  it("store and retrieve parse their canonical params (the storage RPC's hot path)", () => {
    const store = parseSubrequest("store", {
      pubkey,
      timestamp: now,
      ttl: 600_000,
      data: "aGVsbG8=",
      namespace: 1,
      signature: `${"A".repeat(85)}Q`,
    });
    expect(store.method).toBe("store");
    expect(store.params).toMatchObject({
      namespace: 1,
      timestamp: now,
      expiry: now + 600_000,
      data: new Uint8Array(Buffer.from("hello")),
      auth: { sigTimestamp: now },
    });
    const retrieve = parseSubrequest("retrieve", {
      pubkey,
      namespace: 1,
      timestamp: now,
      signature: `${"A".repeat(85)}Q`,
      last_hash: "A".repeat(43),
      max_count: 3,
    });
    expect(retrieve.params).toMatchObject({ namespace: 1, lastHash: "A".repeat(43), maxCount: 3 });
  });
});
