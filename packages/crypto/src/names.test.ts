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
  it("hashes like Solidity keccak256(bytes(name)) on the normalized name", () => {
    // keccak256("alice") as computed by ethers/solidity.
    expect(nameHashHex("Alice")).toBe("0x9c0257114eb9399a2985f8e75dad7600c5d89fe3824ffa99ec1c3eb8bf3b0501");
  });
  it("validates the charset and length", () => {
    for (const bad of ["", "-a", "a-", "a_b", "a".repeat(64), "héllo"]) {
      expect(() => normalizeName(bad)).toThrowError(expect.objectContaining({ code: "INVALID_NAME" }));
    }
    expect(normalizeName(" My-Name1 ")).toBe("my-name1");
  });
  it("record round-trips for the right name only", () => {
    const rec = encryptNameRecord("alice", id);
    expect(rec.length).toBe(24 + 33 + 16);
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
