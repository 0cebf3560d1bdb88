import { toBase64, toHex } from "@session/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { errOf } from "../../test/helpers/errors.ts";
import { MAX_MESSAGE_BODY } from "./limits.ts";
import { parseRpcRequest } from "./request.ts";

const pubkey = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([t, k]) => ({ type: t, key: k, hex: t.toString(16).padStart(2, "0") + toHex(k) }));
const ts = fc.integer({ min: 1_000_000_000, max: 4_000_000_000_000 });
const ns = fc.integer({ min: -32768, max: 32767 });
const sig = fc.uint8Array({ minLength: 64, maxLength: 64 });
const hash = fc.stringMatching(/^[A-Za-z0-9+/]{43}$/);

describe("client JSON → parsed params keeps every value", () => {
  it("store", () => {
    fc.assert(
      fc.property(
        pubkey,
        ns,
        ts,
        fc.integer({ min: 0, max: 30 * 86_400_000 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.tuple(sig, ts), { nil: undefined }),
        (pk, n, t, ttl, data, auth) => {
          const params: Record<string, unknown> = {
            pubkey: pk.hex,
            namespace: n,
            timestamp: t,
            ttl,
            data: toBase64(data),
          };
          if (auth) {
            params.signature = toBase64(auth[0]);
            params.sig_timestamp = auth[1];
          }
          const r = parseRpcRequest({ method: "store", params });
          if (r.method !== "store") throw new Error("method");
          expect(r.params.pubkey.hex).toBe(pk.hex);
          expect(r.params.pubkey.type).toBe(pk.type);
          expect(r.params.pubkey.key).toEqual(pk.key);
          expect(r.params.namespace).toBe(n);
          expect(r.params.timestamp).toBe(t);
          expect(r.params.expiry).toBe(t + ttl);
          expect(r.params.data).toEqual(data);
          if (auth) {
            expect(r.params.auth?.signature).toEqual(auth[0]);
            expect(r.params.auth?.sigTimestamp).toBe(auth[1]);
          } else expect(r.params.auth).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it("expire and get_expiries", () => {
    fc.assert(
      fc.property(pubkey, fc.array(hash, { minLength: 1, maxLength: 5 }), ts, sig, (pk, hashes, t, s) => {
        const e = parseRpcRequest({
          method: "expire",
          params: { pubkey: pk.hex, messages: hashes, expiry: t, signature: toBase64(s), shorten: true },
        });
        expect(e.method === "expire" && e.params).toMatchObject({
          messages: hashes,
          expiry: [t],
          shorten: true,
          extend: false,
        });
        const g = parseRpcRequest({
          method: "get_expiries",
          params: { pubkey: pk.hex, messages: hashes, timestamp: t, signature: toBase64(s) },
        });
        expect(g.method === "get_expiries" && g.params.auth.signature).toEqual(s);
      }),
      { numRuns: 100 },
    );
  });

  it("base64 data just over the limit is refused, any size up to it accepted", () => {
    const pk = `05${"00".repeat(32)}`;
    const at = (n: number) => ({
      method: "store",
      params: { pubkey: pk, timestamp: 2e12, ttl: 1e5, data: toBase64(new Uint8Array(n)) },
    });
    expect(() => parseRpcRequest(at(MAX_MESSAGE_BODY))).not.toThrow();
    expect(errOf(() => parseRpcRequest(at(MAX_MESSAGE_BODY + 1))).code).toBe("BAD_REQUEST");
  });

  it("a legacy alias together with its canonical name is refused", () => {
    const pk = `05${"00".repeat(32)}`;
    const e = errOf(() => parseRpcRequest({ method: "get_swarm", params: { pubkey: pk, pubKey: pk } }));
    expect(e.message).toMatch(/Cannot specify both/);
  });

  it("signatures must be 86 or 88 ('==') base64 chars", () => {
    const pk = `03${"00".repeat(32)}`;
    const s = toBase64(new Uint8Array(64));
    const req = (signature: string) => ({
      method: "delete_all",
      params: { pubkey: pk, timestamp: 2e12, signature },
    });
    expect(() => parseRpcRequest(req(s))).not.toThrow();
    expect(() => parseRpcRequest(req(s.replace(/=+$/, "")))).not.toThrow();
    expect(errOf(() => parseRpcRequest(req(s.slice(0, 80)))).code).toBe("BAD_REQUEST");
  });
});

describe("isBase64 (oxenc::is_base64 rules)", () => {
  it("accepts padded or unpadded, standard or URL-safe; rejects bad padding and lengths", async () => {
    const { isBase64 } = await import("./common.ts");
    for (const ok of ["", "AA", "AAA", "AAAA", "AA==", "AAA=", "-_-_"]) expect(isBase64(ok)).toBe(true);
    for (const bad of ["A", "AAAAA", "AA=", "A===", "AA=A", "AA*A"]) expect(isBase64(bad)).toBe(false);
  });
});

describe("hostile keys", () => {
  it('a JSON "__proto__" key cannot smuggle fields in', () => {
    const body = JSON.parse(
      `{"method":"delete_all","params":{"pubkey":"03${"00".repeat(32)}","timestamp":2000000000000,"__proto__":{"signature":"${toBase64(new Uint8Array(64))}"}}}`,
    );
    expect(errOf(() => parseRpcRequest(body)).message).toMatch(/signature/);
  });
});
