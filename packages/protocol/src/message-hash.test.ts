import { fromHex } from "@session/crypto";
import { describe, expect, it } from "vitest";
import vectors from "../test/vectors/message-hash.json" with { type: "json" };
import { ProtocolError } from "./errors.ts";
import { computeMessageHash, isValidMessageHash } from "./message-hash.ts";

describe("computeMessageHash", () => {
  it.each(vectors.cases)("namespace $namespace", ({ pubkey, namespace, data_hex, hash }) => {
    const got = computeMessageHash(pubkey, namespace, fromHex(data_hex));
    expect(got).toBe(hash);
    expect(got).toHaveLength(43);
    expect(isValidMessageHash(got)).toBe(true);
  });

  it("depends on the namespace and the type byte", () => {
    const key = "d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72";
    const data = new Uint8Array([1, 2, 3]);
    const a = computeMessageHash(`05${key}`, 0, data);
    expect(computeMessageHash(`05${key}`, 1, data)).not.toBe(a);
    expect(computeMessageHash(`03${key}`, 0, data)).not.toBe(a);
  });

  it("rejects a bad pubkey with INVALID_PUBKEY", () => {
    try {
      computeMessageHash("05abc", 0, new Uint8Array());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe("INVALID_PUBKEY");
    }
  });
});

describe("oxenss reference vector (unit_test/service_node.cpp)", () => {
  it("hashes the real stored message exactly as the storage server", async () => {
    const { fromBase64 } = await import("@session/crypto");
    const r = vectors.reference;
    expect(computeMessageHash(r.pubkey, r.namespace, fromBase64(r.data_base64))).toBe(r.hash);
  });
});
