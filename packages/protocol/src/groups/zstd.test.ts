import {
  configEncrypt,
  fromHex,
  keypairFromSeed,
  padConfig,
  randomBytesArray,
  sign,
  toHex,
  utf8Decode,
  xchachaSealWithNonce,
} from "@session/crypto";
import { describe, expect, it } from "vitest";
import { bin, binToBytes, btEncode, bytesToBin } from "../config/bt.ts";
import { openConfigPlaintext } from "../config/synced-config.ts";
import { zstdDecompress } from "../config/zstd.ts";
import { GroupConfig, readInfo } from "./group-config.ts";
import { decryptGroupMessage } from "./keys.ts";

// Compressed outputs from session-foundation/libsession-util tests/test_compression.cpp.
const data2 = binToBytes(
  `d1:#i1e1:&d1:n12:KallieKallie1:p29:http://kallie.example.org/Kallie.bmp1:q24:KallieKalliesecretKalliee` +
    `1:<lli0e32:${bytesToBin(fromHex("ea173b57beca8af18c3519a7bbf69c3e7a05d1c049fa9558341d8ebb48b0c965"))}deee` +
    "1:=d1:n0:1:p0:1:q0:ee",
);
const compressed = [
  "7a28b52ffd20aabd0400640864313a23693165313a2664313a6e31323a4b616c6c6965313a7032393a687474703a2f2f6b2e6578616d706c652e6f72672f4b626d70313a71323473656372657465313a3c6c6c69306533323aea173b57beca8af18c3519a7bbf69c3e7a05d1c049fa9558341d8ebb48b0c96564656565313a3d64313a6e303a313a70303a313a71303a656505003587f2d5e1c02836af9aa13401",
  "7a28b52ffd20aa950400a40764313a23693165313a2664313a6e31323a4b616c6c6965313a7032393a687474703a2f2f6b2e6578616d706c652e6f72672f4b626d70313a71323473656372657465313a3c6c6c69306533323aea173b57beca8af18c3519a7bbf69c3e7a05d1c049fa9558341d8ebb48b0c96564653d303a313a7071303a65650800a8d0880966a9827e19e0572706a3d8bc6a86d204",
  "7a28b52ffd20aa9d0400e40764313a23693165313a2664313a6e31323a4b616c6c6965313a7032393a687474703a2f2f6b2e6578616d706c652e6f72672f4b626d70313a71323473656372657465313a3c6c6c69306533323aea173b57beca8af18c3519a7bbf69c3e7a05d1c049fa9558341d8ebb48b0c96564653d64313a6e303a313a7071303a6565070028812c55282f03fceac460149b57cd509a",
];

describe("zstd-compressed configs and messages (libsession compresses when smaller)", () => {
  it("decompresses libsession's compressed configs at every level", () => {
    expect(toHex(zstdDecompress(fromHex("28b52ffd205145000010aaaa01008c022c"), 1000))).toBe("aa".repeat(81));
    for (const c of compressed) expect(toHex(openConfigPlaintext(fromHex(c))!)).toBe(toHex(data2));
    expect(openConfigPlaintext(data2)).toBe(data2);
    expect(openConfigPlaintext(binToBytes("m garbage"))).toBeUndefined();
    expect(() => zstdDecompress(fromHex("28b52ffd205145000010aaaa01008c022c"), 80)).toThrow(/too large/);
  });

  it("a member reads a compressed, signed group config", () => {
    const g = keypairFromSeed(randomBytesArray(16)).ed25519;
    const key = randomBytesArray(32);
    // A signed info config inside a zstd frame of one raw block (valid zstd, as a decoder must
    // accept it; libsession's own compressed bytes are checked above).
    const unsigned = `d1:#i1e1:&d1:n${bin("Zipped").length}:${bin("Zipped")}e1:<le1:=d1:n0:e`;
    const sig = bytesToBin(sign(binToBytes(unsigned), g.secretKey));
    const msg = binToBytes(`${unsigned}1:~64:${sig}e`);
    const frame = rawZstdFrame(msg);
    const enc = configEncrypt(padConfig(new Uint8Array([0x7a, ...frame])), key, "groups::Info");
    const c = new GroupConfig("groups::Info", 13, g.publicKey);
    expect(c.merge([enc], [key])).toBe(true);
    expect(readInfo(c.data).name).toBe("Zipped");
  });

  it("opens a group message whose data is zstd-compressed (field z), signature over the compressed bytes", () => {
    const sender = keypairFromSeed(randomBytesArray(16));
    const key = randomBytesArray(32);
    const z = rawZstdFrame(new TextEncoder().encode("compressed hello"));
    const body = btEncode({
      "": 1,
      a: bytesToBin(sender.ed25519.publicKey),
      s: bytesToBin(sign(z, sender.ed25519.secretKey)),
      z: bytesToBin(z),
    });
    const nonce = randomBytesArray(24);
    const ct = new Uint8Array([...nonce, ...xchachaSealWithNonce(key, nonce, binToBytes(body))]);
    const out = decryptGroupMessage([key], ct);
    expect(utf8Decode(out.plaintext)).toBe("compressed hello");
    expect(out.sender).toBe(sender.sessionId);
  });
});

/** A single-segment zstd frame holding `data` in one raw (uncompressed) block. */
function rawZstdFrame(data: Uint8Array): Uint8Array {
  if (data.length > 255) throw new Error("test helper: up to 255 bytes");
  const magic = [0x28, 0xb5, 0x2f, 0xfd];
  // Frame header: single segment, 1-byte content size.
  const fhd = 0x20;
  const blockHeader = (data.length << 3) | 0b001; // last block, raw
  return new Uint8Array([
    ...magic,
    fhd,
    data.length,
    blockHeader & 0xff,
    (blockHeader >> 8) & 0xff,
    (blockHeader >> 16) & 0xff,
    ...data,
  ]);
}
