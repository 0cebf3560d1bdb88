import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CryptoError,
  decryptNameRecord,
  encryptNameRecord,
  generateSeed,
  keypairFromSeed,
  nameHashHex,
  normalizeName,
} from "./index.ts";

describe("names", () => {
  const id = keypairFromSeed(generateSeed()).sessionId;
  it("hashes with BLAKE2b-256 on the normalized name", () => {
    expect(nameHashHex("Test")).toBe("0x928b20366943e2afd11ebc0eae2e53a93bf177a4fcf35bcc64d503704e65e202");
  });
  it("validates the charset and length", () => {
    for (const bad of ["", "-a", "a-", "a_b", "a".repeat(64), "héllo"]) {
      expect(() => normalizeName(bad)).toThrowError(expect.objectContaining({ code: "INVALID_NAME" }));
    }
    expect(normalizeName(" My-Name1 ")).toBe("my-name1");
  });
  it("record round-trips for the right name only", () => {
    const rec = encryptNameRecord("alice", id);
    expect(rec.length).toBe(49 + 24);
    expect(decryptNameRecord("ALICE", rec)).toBe(id);
    expect(() => decryptNameRecord("alicf", rec)).toThrowError(
      expect.objectContaining({ code: "DECRYPT_FAILED" }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        try {
          decryptNameRecord("alice", b);
          return false;
        } catch (e) {
          return e instanceof CryptoError;
        }
      }),
    );
  });
});
