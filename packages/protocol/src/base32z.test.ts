import { describe, expect, it } from "vitest";
import { toBase32z } from "./base32z.ts";

// Vectors from oxen-io/oxen-mq tests/test_encoding.cpp ("base32z encoding/decoding").
describe("toBase32z", () => {
  it("matches oxenc's vectors", () => {
    expect(toBase32z(new Uint8Array(5))).toBe("yyyyyyyy");
    const b = Uint8Array.from(
      Array.from({ length: 4 }, () => [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]).flat(),
    );
    expect(toBase32z(b)).toBe("yrtwk3hjixg66yjdeiuauk6p7hy1gtm8tgih55abrpnsxnpm3zzo");
  });
});
