import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastRetrieveParams, fastStoreParams } from "./fast-params.ts";
import { retrieveParamsSchema } from "./retrieve.ts";
import { storeParamsSchema } from "./store.ts";
import { parseSubrequest } from "./subrequest.ts";

/*
 * The fast paths must either step aside (undefined) or give exactly what the zod schema gives;
 * they must never accept what the schema refuses. Params are drawn field by field from pools that
 * mix valid values with every kind of near miss.
 */

const hex = (n: number, c = "a") => c.repeat(n);
const now = 1_765_000_000_000;
const b64sig = `${"A".repeat(85)}Q`;
const BIG = "A".repeat(102_400); // the largest data a store may carry (76 800 bytes)
// Per field: values the schemas accept, then near misses.
const pools: Record<string, [readonly unknown[], readonly unknown[]]> = {
  pubkey: [
    [`05${hex(64)}`, `03${hex(64, "b")}`, `15${hex(64, "C")}`],
    [`05${hex(63)}`, `05${hex(64)}x`, 5, ""],
  ],
  timestamp: [
    [now, now + 1, 1_000_000_000, Number.MAX_SAFE_INTEGER],
    [999_999_999, -1, 1.5, String(now), `${now}x`, 2 ** 60],
  ],
  ttl: [
    [0, 1, 600_000, Number.MAX_SAFE_INTEGER],
    [-1, 2.5, "600000", 2 ** 60],
  ],
  expiry: [[now + 600_000], [5, "x", now + 0.5]],
  data: [
    ["", "aGVsbG8=", "aGVsbG8", "-_-_", BIG],
    ["aGVsbG8==", "a", "ab=c", "aGVs bG8", `${BIG}AAAA`],
  ],
  namespace: [
    [0, 1, -10, 32767, -32768],
    [32768, -32769, 1.5, "1"],
  ],
  sig_timestamp: [[now], [5, "x"]],
  signature: [
    [b64sig, `${"A".repeat(86)}==`, `${"-".repeat(85)}w`],
    [`${"A".repeat(86)}=`, "A".repeat(87), "", 7],
  ],
  pubkey_ed25519: [
    [hex(64, "d"), hex(64, "D")],
    [hex(63), 3],
  ],
  last_hash: [
    ["", "A".repeat(43), "-".repeat(43)],
    ["A".repeat(42), "A".repeat(44), `${"A".repeat(42)}=`, 9],
  ],
  max_count: [
    [0, 1, -1, 2 ** 31 - 1],
    [2 ** 31, 1.5, "1"],
  ],
  max_size: [
    [-5, 100, -(2 ** 31)],
    [2 ** 31, -(2 ** 31) - 1],
  ],
  subaccount: [[], ["", "x"]],
  pubKey: [[], [`05${hex(64)}`]],
  lastHash: [[], ["A".repeat(43)]],
  junk: [[], [1, "x"]],
};

type Pool = keyof typeof pools;
const value = (k: Pool) => {
  const [good, bad] = pools[k]!;
  const arbs: { arbitrary: fc.Arbitrary<unknown>; weight: number }[] = [
    { arbitrary: fc.constantFrom(...bad, null), weight: 1 },
  ];
  if (good.length) arbs.push({ arbitrary: fc.constantFrom(...good), weight: 12 });
  return fc.oneof(...arbs);
};
const field = (k: Pool) =>
  fc.oneof(
    { arbitrary: fc.constant(undefined), weight: pools[k]![0].length ? 4 : 30 },
    { arbitrary: value(k), weight: 4 },
  );
const paramsOf = (keys: readonly Pool[], required: readonly Pool[]) =>
  fc.record(Object.fromEntries(keys.map((k) => [k, required.includes(k) ? value(k) : field(k)])));
const strip = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function agrees(
  fast: (p: Record<string, unknown>) => unknown,
  schema: { safeParse(v: unknown): { success: boolean; data?: unknown } },
  params: Record<string, unknown>,
): boolean {
  const f = fast(params);
  if (f === undefined) return true;
  const z = schema.safeParse(params);
  expect(z.success).toBe(true);
  expect(normalized(f)).toEqual(normalized(z.data));
  return true;
}

/** Bytes as hex (a deep compare of 76 800-byte arrays element by element is slow), keys sorted. */
function normalized(v: unknown): unknown {
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString("hex")}`;
  if (Array.isArray(v)) return v.map(normalized);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, normalized((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

describe("fast params", () => {
  it("store: steps aside or equals storeParamsSchema", { timeout: 60_000 }, () => {
    const keys: Pool[] = [
      "pubkey",
      "timestamp",
      "ttl",
      "expiry",
      "data",
      "namespace",
      "sig_timestamp",
      "signature",
      "pubkey_ed25519",
      "subaccount",
      "pubKey",
      "junk",
    ];
    let taken = 0;
    fc.assert(
      fc.property(paramsOf(keys, ["pubkey", "timestamp", "data"]), (p) => {
        const params = strip(p);
        if (fastStoreParams(params)) taken++;
        return agrees(fastStoreParams, storeParamsSchema, params);
      }),
      { numRuns: 6000 },
    );
    expect(taken).toBeGreaterThan(50); // the fast path really is taken for canonical params
  });

  it("retrieve: steps aside or equals retrieveParamsSchema", () => {
    const keys: Pool[] = [
      "pubkey",
      "namespace",
      "last_hash",
      "max_count",
      "max_size",
      "timestamp",
      "signature",
      "pubkey_ed25519",
      "subaccount",
      "lastHash",
      "junk",
    ];
    let taken = 0;
    fc.assert(
      fc.property(paramsOf(keys, ["pubkey"]), (p) => {
        const params = strip(p);
        if (fastRetrieveParams(params)) taken++;
        return agrees(fastRetrieveParams, retrieveParamsSchema, params);
      }),
      { numRuns: 6000 },
    );
    expect(taken).toBeGreaterThan(50);
  });

  it("reads own properties only, as the schemas do", () => {
    const inherited = Object.assign(Object.create({ pubkey: `05${hex(64)}` }), {
      timestamp: now,
      ttl: 1,
      data: "",
    });
    expect(fastStoreParams(inherited)).toBeUndefined();
    expect(() => parseSubrequest("store", inherited)).toThrowError(
      expect.objectContaining({ code: "INVALID_PUBKEY" }),
    );
    const json = JSON.parse(`{"pubkey":"05${hex(64)}","__proto__":{"x":1}}`);
    expect(fastRetrieveParams(json)).toBeUndefined();
  });

  it("parseSubrequest gives the schema's result for canonical store and retrieve", () => {
    const store = {
      pubkey: `05${hex(64)}`,
      timestamp: now,
      ttl: 600_000,
      data: "aGVsbG8=",
      namespace: 1,
      signature: b64sig,
      pubkey_ed25519: hex(64, "d"),
    };
    expect(fastStoreParams(store)).toBeDefined();
    expect(parseSubrequest("store", store)).toEqual({
      method: "store",
      params: storeParamsSchema.parse(store),
    });
    const retrieve = {
      pubkey: `05${hex(64)}`,
      namespace: 1,
      timestamp: now,
      signature: b64sig,
      last_hash: "A".repeat(43),
      max_count: 3,
    };
    expect(fastRetrieveParams(retrieve)).toBeDefined();
    expect(parseSubrequest("retrieve", retrieve)).toEqual({
      method: "retrieve",
      params: retrieveParamsSchema.parse(retrieve),
    });
  });
});
