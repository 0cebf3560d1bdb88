import { toBase64, toHex } from "@session/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastRetrieveParams, fastStoreParams } from "./fast-params.ts";
import { MAX_MESSAGE_BODY } from "./limits.ts";
import { parseRetrieveParams } from "./retrieve.ts";
import { parseStoreParams } from "./store.ts";

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(toHex);
/** Padded (88 chars, as toBase64 gives) or not (86). */
const sig = fc
  .tuple(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.boolean())
  .map(([b, padded]) => (padded ? toBase64(b) : toBase64(b).slice(0, 86)));
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toBase64(b).slice(0, 43));

/** A field that is usually well-formed, sometimes malformed (`bad`), absent, null or of another shape. */
const field = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown> = fc.constant("x")) =>
  fc.oneof(
    { weight: 40, arbitrary: good },
    { weight: 1, arbitrary: bad },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant({})) },
  );

/** The JSON object: fields generated as undefined are left out. */
const withoutAbsent = (r: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));

/** Mostly absent. */
const rarely = <T>(a: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 20, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

const retrieveFields = {
  pubkey: field(
    fc.oneof({ weight: 8, arbitrary: hex(32).map((h) => `05${h}`) }, { weight: 1, arbitrary: hex(33) }),
    fc.constantFrom("05", `05${"g".repeat(64)}`),
  ),
  namespace: field(
    fc.oneof(fc.constantFrom(0, -10, 2, 5, 17, -32768, 32767), fc.integer({ min: -32768, max: 32767 })),
    fc.constantFrom(32768, -32769, 1.5),
  ),
  last_hash: field(
    fc.oneof(hash, fc.constant("")),
    hash.map((h) => h.slice(1)),
  ),
  max_count: field(fc.integer(), fc.constantFrom(2 ** 31, 0.5)),
  max_size: field(fc.integer(), fc.constantFrom(-(2 ** 31) - 1, 2.5)),
  timestamp: field(
    fc.oneof(fc.integer({ min: 1_000_000_000, max: 2 ** 53 - 1 }), fc.constant(1_765_000_000_000)),
    fc.constantFrom(999_999_999, -1, 2 ** 53, 1.5),
  ),
  signature: field(
    sig,
    fc.oneof(
      sig.map((s) => `${s}=`),
      sig.map((s) => s.slice(2)),
      fc.constant("!".repeat(86)),
    ),
  ),
  pubkey_ed25519: rarely(field(hex(32), hex(31))),
  subaccount: rarely(fc.string()),
  extra: rarely(fc.string()),
};
const retrieveJson = fc.record(retrieveFields).map(withoutAbsent);

/** Whatever `fast` accepts, `schema` accepts with an equal result; and the generator reaches it. */
function agreesWithSchema(
  json: fc.Arbitrary<Record<string, unknown>>,
  fast: (p: Record<string, unknown>) => unknown,
  schema: (p: unknown) => unknown,
): void {
  let accepted = 0;
  fc.assert(
    fc.property(json, (j) => {
      const f = fast(j);
      if (f === undefined) return;
      accepted++;
      expect(f).toEqual(schema(j));
    }),
    { numRuns: 3000 },
  );
  expect(accepted).toBeGreaterThan(100);
}

describe("fastRetrieveParams", () => {
  it("accepts only what the schema accepts, and gives the schema's result", () => {
    agreesWithSchema(retrieveJson, fastRetrieveParams, parseRetrieveParams);
  });

  it("takes the usual signed retrieve, and leaves the rest to the schema", () => {
    const json = {
      pubkey: `05${"ab".repeat(32)}`,
      namespace: 0,
      last_hash: "A".repeat(43),
      timestamp: 1_765_000_000_000,
      signature: "B".repeat(86),
      pubkey_ed25519: "cd".repeat(32),
    };
    expect(fastRetrieveParams(json)).toEqual(parseRetrieveParams(json));
    expect(fastRetrieveParams(json)?.auth?.pubkeyEd25519).toHaveLength(32);
    for (const other of [
      { ...json, namespace: null },
      { ...json, lastHash: "A".repeat(43) },
      { ...json, subaccount: "x" },
      { ...json, signature: undefined },
      { ...json, pubkey: `03${"ab".repeat(32)}` }, // pubkey_ed25519 with a non-05 account
    ]) {
      expect(fastRetrieveParams(other as Record<string, unknown>)).toBeUndefined();
    }
  });
});

const ts = fc.oneof(fc.integer({ min: 1_000_000_000, max: 2 ** 53 - 1 }), fc.constant(1_765_000_000_000));
const badTs = fc.constantFrom(999_999_999, -1, 2 ** 53, 1.5, "1765000000000");

const storeJson = fc
  .record({
    pubkey: retrieveFields.pubkey,
    timestamp: field(ts, badTs),
    ttl: field(fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom(-1, 0.5, "1000")),
    expiry: rarely(field(ts, badTs)),
    data: field(
      fc.oneof(
        fc.uint8Array({ maxLength: 2048 }).map((b) => toBase64(b)),
        fc.uint8Array({ maxLength: 64 }).map((b) => toBase64(b).replace(/=+$/, "")),
      ),
      fc.oneof(
        fc.constantFrom("a", "ab=c", "!!!!"),
        fc.constant("A".repeat(((MAX_MESSAGE_BODY + 3) / 3) * 4)),
      ),
    ),
    namespace: retrieveFields.namespace,
    sig_timestamp: rarely(field(ts, badTs)),
    signature: fc.oneof(retrieveFields.signature, fc.constant(undefined)),
    pubkey_ed25519: retrieveFields.pubkey_ed25519,
    subaccount: retrieveFields.subaccount,
    extra: retrieveFields.extra,
  })
  .map(withoutAbsent);

describe("fastStoreParams", () => {
  it("accepts only what the schema accepts, and gives the schema's result", () => {
    agreesWithSchema(storeJson, fastStoreParams, parseStoreParams);
  });

  it("takes the usual store, signed or not, and leaves the rest to the schema", () => {
    const json = {
      pubkey: `05${"ab".repeat(32)}`,
      timestamp: 1_765_000_000_000,
      ttl: 86_400_000,
      data: "AAAA",
      namespace: -10,
      signature: "B".repeat(86),
      pubkey_ed25519: "cd".repeat(32),
    };
    expect(fastStoreParams(json)).toEqual(parseStoreParams(json));
    const { signature: _s, pubkey_ed25519: _e, namespace: _n, ...unsigned } = json;
    expect(fastStoreParams(unsigned)).toEqual(parseStoreParams(unsigned));
    for (const other of [
      { ...json, timestamp: "1765000000000" }, // stringified: the schema's form
      { ...json, expiry: 1_765_000_100_000 }, // both ttl and expiry
      { ...json, ttl: undefined }, // neither
      { ...json, data: "a" },
      { ...json, pubKey: json.pubkey },
      Object.assign(Object.create({ pubkey: json.pubkey }), unsigned, { pubkey: undefined }), // inherited
    ]) {
      expect(fastStoreParams(other as Record<string, unknown>)).toBeUndefined();
    }
  });
});
