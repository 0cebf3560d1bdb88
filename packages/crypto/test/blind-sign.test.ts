import { describe, expect, it } from "vitest";
import {
  blind15Ids,
  blind15KeyPair,
  blind15Sign,
  blind25Id,
  blind25KeyPair,
  blind25Sign,
  CryptoError,
  decryptFromBlindedRecipient,
  encryptForBlindedRecipient,
  fromHex,
  keypairFromSeed,
  ownBlindedId,
  sessionIdFromX25519,
  toHex,
  utf8Decode,
  utf8Encode,
  verify,
} from "../src/index.ts";
import vectors from "./vectors/blind-sign.json" with { type: "json" };

const sessionIdOf = (sk: string) => keypairFromSeed(fromHex(sk).subarray(0, 32)).sessionId;

describe(`blinded signing (${vectors.source})`, () => {
  vectors.sign25.forEach((v, i) => {
    it(`blind25_sign #${i + 1} matches libsession and verifies against the 25-blinded ID`, () => {
      const msg = utf8Encode(v.messageUtf8);
      const sig = blind25Sign(fromHex(v.ed25519Sk), v.serverPk, msg);
      expect(toHex(sig)).toBe(v.signature);
      // the 32-byte seed alone gives the same signature
      expect(toHex(blind25Sign(fromHex(v.ed25519Sk).subarray(0, 32), v.serverPk, msg))).toBe(v.signature);
      const id = blind25Id(sessionIdOf(v.ed25519Sk), v.serverPk);
      expect(verify(sig, msg, fromHex(id.slice(2)))).toBe(true);
      expect(toHex(blind25KeyPair(fromHex(v.ed25519Sk), v.serverPk).publicKey)).toBe(id.slice(2));
    });
  });
  vectors.sign15.forEach((v, i) => {
    it(`blind15_sign #${i + 1} matches libsession and verifies against the 15-blinded ID`, () => {
      const msg = utf8Encode(v.messageUtf8);
      const sig = blind15Sign(fromHex(v.ed25519Sk), v.serverPk, msg);
      expect(toHex(sig)).toBe(v.signature);
      const ids = blind15Ids(sessionIdOf(v.ed25519Sk), v.serverPk);
      const id = ids[v.negativeKey ? 1 : 0];
      expect(verify(sig, msg, fromHex(id.slice(2)))).toBe(true);
      expect(toHex(blind15KeyPair(fromHex(v.ed25519Sk), v.serverPk).publicKey)).toBe(id.slice(2));
    });
  });
  it("a signature for one message does not verify another", () => {
    const v = vectors.sign25[0]!;
    const sig = blind25Sign(fromHex(v.ed25519Sk), v.serverPk, utf8Encode("hello"));
    const pk = blind25KeyPair(fromHex(v.ed25519Sk), v.serverPk).publicKey;
    expect(verify(sig, utf8Encode("hellp"), pk)).toBe(false);
  });
  it("bad keys are refused with a typed error", () => {
    expect(() => blind15Sign(new Uint8Array(10), vectors.sign15[0]!.serverPk, new Uint8Array())).toThrow(
      CryptoError,
    );
    expect(() => blind25Sign(new Uint8Array(32), "zz", new Uint8Array())).toThrow(CryptoError);
  });
});

describe("blinded DMs (libsession encrypt_for_blinded_recipient / decrypt_from_blinded_recipient)", () => {
  const d = vectors.dm;
  const server = fromHex(d.serverPk);
  const a = keypairFromSeed(fromHex(d.sender.seed));
  const b = keypairFromSeed(fromHex(d.recipient.seed));
  it("the test keys give libsession's Session IDs", () => {
    expect(a.sessionId).toBe(d.sender.sessionId);
    expect(sessionIdFromX25519(b.x25519.publicKey)).toBe(d.recipient.sessionId);
  });
  for (const prefix of [0x15, 0x25] as const) {
    const aId = ownBlindedId(a.ed25519.secretKey, server, prefix);
    const bId = ownBlindedId(b.ed25519.secretKey, server, prefix);
    it(`${prefix.toString(16)}: the recipient and the sender both open it and learn the sender`, () => {
      const enc = encryptForBlindedRecipient(a.seed, server, bId, utf8Encode("hello"));
      expect(enc[0]).toBe(0);
      expect(enc.length).toBe(1 + 5 + 32 + 16 + 24);
      for (const reader of [b.ed25519.secretKey, b.seed, a.ed25519.secretKey, a.seed]) {
        const out = decryptFromBlindedRecipient(reader, server, aId, bId, enc);
        expect(utf8Decode(out.message)).toBe("hello");
        expect(out.senderSessionId).toBe(a.sessionId);
      }
    });
    it(`${prefix.toString(16)}: tampering, a third party and a wrong sender ID are refused`, () => {
      const enc = encryptForBlindedRecipient(a.ed25519.secretKey, server, bId, utf8Encode("hello"));
      const broken = enc.slice();
      broken[23] = broken[23]! ^ 0x80;
      expect(() => decryptFromBlindedRecipient(b.seed, server, aId, bId, broken)).toThrow(CryptoError);
      const c = keypairFromSeed(new Uint8Array(32).fill(7));
      expect(() => decryptFromBlindedRecipient(c.seed, server, aId, bId, enc)).toThrow(CryptoError);
      const cId = ownBlindedId(c.seed, server, prefix);
      expect(() => decryptFromBlindedRecipient(b.seed, server, cId, bId, enc)).toThrow(CryptoError);
    });
  }
  it("the 25-blinded own ID equals blind25Id of the Session ID", () => {
    expect(`25${toHex(ownBlindedId(a.seed, server, 0x25).subarray(1))}`).toBe(blind25Id(a.sessionId, server));
  });
  it("mixed prefixes are refused", () => {
    const enc = encryptForBlindedRecipient(
      a.seed,
      server,
      ownBlindedId(b.seed, server, 0x25),
      utf8Encode("x"),
    );
    expect(() =>
      decryptFromBlindedRecipient(
        b.seed,
        server,
        ownBlindedId(a.seed, server, 0x15),
        ownBlindedId(b.seed, server, 0x25),
        enc,
      ),
    ).toThrow(CryptoError);
  });
});
