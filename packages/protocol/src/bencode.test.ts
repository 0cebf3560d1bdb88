import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectOnlyProtocolErrors } from "../test/helpers/typed-errors.ts";
import { type BencodeValue, bdecode, bencode } from "./bencode.ts";
import { ProtocolError } from "./errors.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function expectBencodeError(bytes: Uint8Array | string) {
  const b = typeof bytes === "string" ? enc(bytes) : bytes;
  try {
    bdecode(b);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).code).toBe("BENCODE_INVALID");
    return;
  }
  throw new Error(`expected ${typeof bytes === "string" ? bytes : "input"} to be rejected`);
}

const bencodeValue: fc.Arbitrary<BencodeValue> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.maxSafeInteger(),
    fc
      .bigInt({ min: -(1n << 80n), max: 1n << 80n })
      .filter((b) => b < BigInt(Number.MIN_SAFE_INTEGER) || b > BigInt(Number.MAX_SAFE_INTEGER)),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 5 }).map((d) => {
      const out = Object.create(null);
      Object.assign(out, d);
      return out;
    }),
  ),
})).value;

describe("bencode", () => {
  it("encodes the basic types", () => {
    expect(dec(bencode(42))).toBe("i42e");
    expect(dec(bencode(-7))).toBe("i-7e");
    expect(dec(bencode(0))).toBe("i0e");
    expect(dec(bencode(12345678901234567890n))).toBe("i12345678901234567890e");
    expect(dec(bencode("spam"))).toBe("4:spam");
    expect(dec(bencode(["a", 1]))).toBe("l1:ai1ee");
    expect(dec(bencode({ b: 1, a: "x" }))).toBe("d1:a1:x1:bi1ee");
  });

  it("sorts dict keys by bytes, not UTF-16 units", () => {
    // U+FF5E (UTF-8 ef bd 9e) sorts before U+10000 (UTF-8 f0 90 80 80) in bytes and after in UTF-16.
    const out = dec(bencode({ "\u{10000}": 1, "\uff5e": 2 }));
    expect(out.indexOf("\uff5e")).toBeLessThan(out.indexOf("\u{10000}"));
  });

  it("round-trips any value", () => {
    fc.assert(
      fc.property(bencodeValue, (v) => {
        expect(bdecode(bencode(v))).toEqual(v);
      }),
    );
  });

  it("decoding then re-encoding is the identity on canonical input", () => {
    fc.assert(
      fc.property(bencodeValue, (v) => {
        const b = bencode(v);
        expect(bencode(bdecode(b))).toEqual(b);
      }),
    );
  });

  it.each([
    "",
    "i",
    "ie",
    "i-e",
    "i01e",
    "i-0e",
    "i1.5e",
    "01:a",
    "5:abc",
    "l",
    "li1e",
    "d1:bi1e1:ai1ee",
    "d1:ai1e1:ai1ee",
    "di1ei1ee",
    "x",
    "i1ei2e",
    ":",
    "-1:a",
  ])("rejects %j", (s) => expectBencodeError(s));

  it("rejects non-UTF-8 dict keys", () =>
    expectBencodeError(new Uint8Array([0x64, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65])));

  it("bounds nesting depth", () => {
    expectBencodeError("l".repeat(100) + "e".repeat(100));
    expect(() => bdecode(enc("l".repeat(10) + "e".repeat(10)))).not.toThrow();
  });

  it("never throws anything but ProtocolError on random bytes", () => {
    expectOnlyProtocolErrors(fc.uint8Array({ maxLength: 64 }), bdecode);
  });

  it("never throws anything but ProtocolError on bencode-alphabet strings", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(..."il de0123456789:-ax"), { maxLength: 30 }), (chars) => {
        try {
          bdecode(enc(chars.join("")));
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
