import { describe, expect, it } from "vitest";
import {
  blind15Id,
  blind15Ids,
  blind25Id,
  CryptoError,
  decryptIncoming,
  encryptForRecipientDeterministic,
  fromHex,
  keypairFromSeed,
  mnemonicToSeed,
  type OnionEncType,
  onionDecryptFromClient,
  onionDecryptResponse,
  onionEncryptResponse,
  seedToMnemonic,
  sessionIdMatchesBlinded,
  toHex,
  utf8Decode,
  utf8Encode,
  x25519PkToEd25519,
} from "../src/index.ts";
import blinding from "./vectors/blinding.json" with { type: "json" };
import keys from "./vectors/keys.json" with { type: "json" };
import mnemonic from "./vectors/mnemonic.json" with { type: "json" };
import onion from "./vectors/onion.json" with { type: "json" };
import sessionEncrypt from "./vectors/session-encrypt.json" with { type: "json" };

describe(`keys (${keys.source})`, () => {
  for (const v of keys.vectors) {
    it(`seed ${v.seed.slice(0, 8)}… → ${v.sessionId.slice(0, 10)}…`, () => {
      const k = keypairFromSeed(fromHex(v.seed));
      expect(toHex(k.ed25519.publicKey)).toBe(v.ed25519Pk);
      expect(toHex(k.x25519.publicKey)).toBe(v.x25519Pk);
      expect(k.sessionId).toBe(v.sessionId);
    });
  }
  it("a 16-byte seed is zero-padded like Session", () => {
    const v = keys.vectors[0]!;
    expect(keypairFromSeed(fromHex(v.seed.slice(0, 32))).sessionId).toBe(v.sessionId);
  });
});

describe(`session protocol (${sessionEncrypt.source})`, () => {
  for (const v of sessionEncrypt.vectors) {
    const sender = keypairFromSeed(fromHex(v.senderSeed));
    const recipient = keypairFromSeed(fromHex(v.recipientSeed));
    it("deterministic encryption reproduces the reference ciphertext", () => {
      const ct = encryptForRecipientDeterministic(
        sender.ed25519.secretKey,
        v.recipientSessionId,
        utf8Encode(v.plaintextUtf8),
      );
      expect(toHex(ct)).toBe(v.deterministicCiphertext);
    });
    it("the reference ciphertext decrypts to the known plaintext and sender", () => {
      const out = decryptIncoming(recipient.ed25519.secretKey, fromHex(v.deterministicCiphertext));
      expect(utf8Decode(out.plaintext)).toBe(v.plaintextUtf8);
      expect(toHex(out.senderEd25519Pk)).toBe(v.senderEd25519Pk);
      expect(out.senderSessionId).toBe(sender.sessionId);
    });
    it("the sender cannot decrypt it", () => {
      expect(() => decryptIncoming(sender.ed25519.secretKey, fromHex(v.deterministicCiphertext))).toThrow(
        CryptoError,
      );
    });
  }
});

describe(`blinding (${blinding.source})`, () => {
  for (const v of blinding.blind25) {
    it(`25-blinded ${v.blinded.slice(0, 10)}…`, () => {
      expect(blind25Id(v.sessionId, v.serverPk)).toBe(v.blinded);
      expect(sessionIdMatchesBlinded(v.sessionId, v.blinded, v.serverPk)).toBe(true);
    });
  }
  for (const v of blinding.blind15) {
    it(`15-blinded ${v.blinded.slice(0, 10)}…`, () => {
      expect(blind15Id(v.sessionId, v.serverPk)).toBe(v.blinded);
      const [pos, neg] = blind15Ids(v.sessionId, v.serverPk);
      expect(pos).toBe(v.blinded);
      expect(neg).not.toBe(pos);
      expect(sessionIdMatchesBlinded(v.sessionId, neg, v.serverPk)).toBe(true);
    });
  }
  it("X25519 → Ed25519 gives the positive key (test_blinding.cpp pub2_abs)", () => {
    expect(
      toHex(x25519PkToEd25519(fromHex("05c9a9bf178fa644d44bebf628716dc7f2df3d0842e97881962c723699152073"))),
    ).toBe("3570b69a47dc094544c1c5089c40414bbda1ffdde8aab2617fe937ee74a5ee01");
  });
});

describe(`onion hop encryption (${onion.source})`, () => {
  const h = onion.hop;
  const node = { publicKey: fromHex(h.nodePk), secretKey: fromHex(h.nodeSk) };
  const client = { publicKey: fromHex(h.clientPk), secretKey: fromHex(h.clientSk) };
  for (const encType of ["aes-gcm", "xchacha20"] as OnionEncType[]) {
    it(`${encType}: reference ciphertext decrypts at the node`, () => {
      const pt = onionDecryptFromClient(encType, fromHex(h.ciphertexts[encType]), node, client.publicKey);
      expect(utf8Decode(pt)).toBe(h.plaintextUtf8);
    });
    it(`${encType}: tampered reference ciphertexts are rejected`, () => {
      for (const bad of h.broken[encType]) {
        expect(() => onionDecryptFromClient(encType, fromHex(bad), node, client.publicKey)).toThrow(
          CryptoError,
        );
      }
    });
    it(`${encType}: node reply decrypts at the client`, () => {
      const reply = onionEncryptResponse(encType, utf8Encode("Goodbye world"), node, client.publicKey);
      expect(reply.length).toBe((encType === "aes-gcm" ? 12 : 24) + 13 + 16);
      expect(utf8Decode(onionDecryptResponse(encType, reply, client, node.publicKey))).toBe("Goodbye world");
    });
  }
});

describe(`mnemonic (${mnemonic.source.slice(0, 40)}…)`, () => {
  for (const v of mnemonic.vectors) {
    it("encodes and decodes the reference phrase", () => {
      expect(seedToMnemonic(fromHex(v.seed))).toBe(v.phrase);
      expect(toHex(mnemonicToSeed(v.phrase, v.words))).toBe(v.seed);
    });
  }
});
