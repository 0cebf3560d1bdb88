import { ed25519PkToX25519, keypairFromSeed, sign, toBase64, toHex, verify } from "@session/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyConversionCache, requestVerifier, resultSigner } from "./node-crypto.ts";

const key = (i: number) => keypairFromSeed(new Uint8Array(32).fill(i + 1)).ed25519.publicKey;

describe("resultSigner", () => {
  it("gives libsodium's signature bytes (Ed25519 is deterministic), which verify", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const keys = keypairFromSeed(seed).ed25519;
          const sig = resultSigner(keys.secretKey)(msg);
          expect(sig).toBe(toBase64(sign(msg, keys.secretKey)));
          expect(requestVerifier.verify(Buffer.from(sig, "base64"), msg, keys.publicKey)).toBe(true);
          expect(verify(Buffer.from(sig, "base64"), Uint8Array.of(...msg, 0), keys.publicKey)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("KeyConversionCache", () => {
  it("keeps at most maxEntries keys: those used within the last generation", () => {
    const converted: string[] = [];
    const cache = new KeyConversionCache(4, (pk) => {
      converted.push(toHex(pk));
      return ed25519PkToX25519(pk);
    });
    const [a, b, c, d] = [0, 1, 2, 3].map(key) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    cache.x25519For(a);
    cache.x25519For(b); // a generation (half of 4) is full: a and b become the previous one
    cache.x25519For(c);
    cache.x25519For(a); // used again: a moves on with c; b, unused for a generation, goes
    expect(converted).toHaveLength(3);
    cache.x25519For(d);
    expect(cache.size).toBe(3);
    cache.x25519For(a); // d and a fill the next generation: c, unused during it, goes
    expect(converted).toHaveLength(4);
    cache.x25519For(b); // both converted again
    cache.x25519For(c);
    expect(converted).toEqual([a, b, c, d, b, c].map(toHex));
    expect(cache.size).toBeLessThanOrEqual(4);
  });

  it("answers exactly what the uncached conversion gives, invalid keys as null", () => {
    const cache = new KeyConversionCache(8);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (seed, twice) => {
        const pk = keypairFromSeed(seed).ed25519.publicKey;
        const want = toHex(ed25519PkToX25519(pk));
        expect(toHex(cache.x25519For(pk)!)).toBe(want);
        if (twice) expect(toHex(cache.x25519For(pk)!)).toBe(want);
      }),
      { numRuns: 60 },
    );
    expect(cache.size).toBeLessThanOrEqual(8);
    // Not a point on the curve (y = 2 has no x) and wrong lengths.
    const notPoint = new Uint8Array(32);
    notPoint[0] = 2;
    expect(cache.x25519For(notPoint)).toBeNull();
    expect(cache.x25519For(notPoint)).toBeNull();
    expect(cache.x25519For(new Uint8Array(31))).toBeNull();
    expect(requestVerifier.ed25519PubkeyToX25519(new Uint8Array(33))).toBeNull();
  });

  it("does not confuse keys that share a buffer", () => {
    const cache = new KeyConversionCache(4);
    const both = new Uint8Array(64);
    both.set(key(5), 0);
    both.set(key(6), 32);
    expect(toHex(cache.x25519For(both.subarray(0, 32))!)).toBe(toHex(ed25519PkToX25519(key(5))));
    expect(toHex(cache.x25519For(both.subarray(32))!)).toBe(toHex(ed25519PkToX25519(key(6))));
  });

  it("refuses a non-positive bound", () => {
    expect(() => new KeyConversionCache(0)).toThrow(RangeError);
  });
});
