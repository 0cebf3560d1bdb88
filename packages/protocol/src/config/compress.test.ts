import {
  configDecrypt,
  fromHex,
  keypairFromSeed,
  randomBytesArray,
  toHex,
  unpadConfig,
} from "@session/crypto";
import { describe, expect, it } from "vitest";
import vectors from "../../test/vectors/config-compression.json" with { type: "json" };
import { binToBytes, bytesToBin } from "./bt.ts";
import { compressConfig, MAX_DECOMPRESSED_CONFIG_SIZE, openConfigPlaintext } from "./synced-config.ts";
import {
  MAX_CONFIG_MESSAGE_SIZE,
  readContacts,
  UserConfig,
  UserConfigKinds,
  unwrapUserConfig,
  writeContact,
} from "./user-config.ts";
import { zstdCompress } from "./zstd.ts";

const hash0 = bytesToBin(fromHex(vectors.hash0Hex));
const input = (c: (typeof vectors.cases)[number]) =>
  "inputHex" in c && c.inputHex ? fromHex(c.inputHex) : binToBytes(c.inputBin!.replace("{hash0}", hash0));

const seed = fromHex("0123456789abcdef0123456789abcdef00000000000000000000000000000000");
const sk = keypairFromSeed(seed).ed25519.secretKey;

/** What a pushed user config holds once unwrapped, decrypted and unpadded (before decompression). */
function pushedPlaintext(c: UserConfig): Uint8Array {
  const { data } = c.pushMessage();
  const inner = unwrapUserConfig(sk, data, UserConfigKinds[c.domain].kind)!;
  return unpadConfig(configDecrypt(inner, seed, c.domain));
}

/** `n` contacts whose names repeat (compressible) beside their random Session IDs (not). */
function addContacts(c: UserConfig, n: number): void {
  c.edit((d) => {
    for (let i = 0; i < n; i++)
      writeContact(d, `05${toHex(randomBytesArray(32))}`, {
        name: `Contact number ${i % 10} of the test`,
        approved: true,
      });
  });
}

describe("config compression as libsession's compress_message (test_compression.cpp)", () => {
  it("compresses byte for byte as libsession at each level of its vectors", () => {
    let checked = 0;
    for (const c of vectors.cases)
      for (const [level, out] of Object.entries(c.outputs)) {
        const data = input(c);
        const got = compressConfig(data, Number(level));
        if (out === "unchanged") {
          expect(data.length, c.name).toBe(142);
          expect(got, c.name).toBe(data);
        } else {
          expect(toHex(got), `${c.name} at level ${level}`).toBe(out);
          // …and reads back to the input.
          if (data[0] === 0x64) expect(toHex(openConfigPlaintext(got)!)).toBe(toHex(data));
        }
        checked++;
      }
    expect(checked).toBe(5);
    // libsession's level-19 output (ours differs with the zstd release) still reads back.
    for (const c of vectors.cases)
      for (const out of Object.values(("decompressOnly" in c && c.decompressOnly) || {}))
        expect(toHex(openConfigPlaintext(fromHex(out))!)).toBe(toHex(input(c)));
  });

  it("keeps the config as it is unless z ‖ zstd is strictly shorter", () => {
    // 81 bytes of 0xaa: zstd at level 1 is 17 bytes, "z" + 17 < 81.
    expect(compressConfig(new Uint8Array(81).fill(0xaa))[0]).toBe(0x7a);
    // Tiny input: the frame header alone is longer.
    const small = binToBytes("d1:#i0e1:&de1:<le1:=dee");
    expect(zstdCompress(small, 1).length + 1).toBeGreaterThanOrEqual(small.length);
    expect(compressConfig(small)).toBe(small);
  });

  it("a user config is pushed compressed when that is smaller, and another device merges it", () => {
    const a = new UserConfig("Contacts", sk);
    addContacts(a, 50);
    const plain = pushedPlaintext(a);
    expect(String.fromCharCode(plain[0]!)).toBe("z");
    expect(plain.length).toBeLessThan(a.serialize().length);
    expect(toHex(openConfigPlaintext(plain)!)).toBe(toHex(a.serialize()));

    const b = new UserConfig("Contacts", sk);
    expect(b.mergeMessages([a.pushMessage().data])).toBe(true);
    expect(readContacts(b.data).length).toBe(50);
    expect(toHex(b.serialize())).toBe(toHex(a.serialize()));
  });

  it("a config over the 75 KiB push limit uncompressed still pushes compressed and is read back", () => {
    const a = new UserConfig("Contacts", sk);
    addContacts(a, 1000);
    expect(a.serialize().length).toBeGreaterThan(MAX_CONFIG_MESSAGE_SIZE);
    const { data } = a.pushMessage();
    expect(data.length).toBeLessThanOrEqual(MAX_CONFIG_MESSAGE_SIZE);
    const b = new UserConfig("Contacts", sk);
    expect(b.mergeMessages([data])).toBe(true);
    expect(readContacts(b.data).length).toBe(1000);
  }, 30_000);

  it("refuses a compressed config that decompresses beyond the cap (a zstd bomb)", () => {
    const huge = new Uint8Array(MAX_DECOMPRESSED_CONFIG_SIZE + 1).fill(0x20);
    huge[0] = 0x64; // "d…"
    const bomb = compressConfig(huge);
    expect(bomb.length).toBeLessThan(1000);
    expect(openConfigPlaintext(bomb)).toBeUndefined();
    // At the cap exactly it is read.
    expect(openConfigPlaintext(compressConfig(huge.subarray(0, MAX_DECOMPRESSED_CONFIG_SIZE)))?.length).toBe(
      MAX_DECOMPRESSED_CONFIG_SIZE,
    );
  });
});
