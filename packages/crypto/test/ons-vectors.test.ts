import { describe, expect, it } from "vitest";
import {
  decryptNameRecord,
  decryptOnsResponse,
  encryptNameRecord,
  encryptOnsValue,
  fromHex,
  nameHashBase64,
  toHex,
} from "../src/index.ts";
import ons from "./vectors/ons.json" with { type: "json" };

describe(`ONS response decryption (${ons.source})`, () => {
  for (const v of ons.cases) {
    it(`decrypts "${v.name}" to ${v.sessionId.slice(0, 10)}…`, () => {
      expect(decryptOnsResponse(v.name, fromHex(v.ciphertext), fromHex(v.nonce))).toBe(v.sessionId);
    });
    it(`our encryption of "${v.name}" with the vector's nonce gives the vector's ciphertext`, () => {
      const { encryptedValue } = encryptOnsValue(v.name, v.sessionId, fromHex(v.nonce));
      expect(toHex(encryptedValue)).toBe(v.ciphertext);
    });
  }
  for (const v of ons.invalid) {
    it(`refuses ${v.why}`, () => {
      expect(() => decryptOnsResponse(v.name, fromHex(v.ciphertext), fromHex(v.nonce))).toThrowError(
        expect.objectContaining({ code: "DECRYPT_FAILED" }),
      );
    });
  }
  it("name_hash is base64 of BLAKE2b-256 of the lower-cased name, as session-desktop sends it", () => {
    // BLAKE2b-256("test"), unkeyed.
    expect(nameHashBase64("TEST")).toBe(
      Buffer.from("928b20366943e2afd11ebc0eae2e53a93bf177a4fcf35bcc64d503704e65e202", "hex").toString(
        "base64",
      ),
    );
  });
  it("on-chain records are encrypted_value ‖ nonce and round-trip only for the right name", () => {
    const id = ons.cases[0]!.sessionId;
    const rec = encryptNameRecord("Alice", id);
    expect(rec.length).toBe(49 + 24);
    expect(decryptOnsResponse("alice", rec.subarray(0, 49), rec.subarray(49))).toBe(id);
    expect(decryptNameRecord("ALICE", rec)).toBe(id);
    expect(() => decryptNameRecord("alicf", rec)).toThrowError(
      expect.objectContaining({ code: "DECRYPT_FAILED" }),
    );
  });
});
