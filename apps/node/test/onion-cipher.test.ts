import { fromHex, onionSealLayer, toHex, utf8Decode, utf8Encode, x25519Keypair } from "@session/crypto";
import { decodeOnionLayer, type EncType, firstHopInfoSchema } from "@session/protocol/onion";
import { decryptFromClient, encryptToClient, openHopReply } from "@session/service-kit";
import { describe, expect, it } from "vitest";
import vectors from "./vectors/onionreq-parser.json" with { type: "json" };

const server = { publicKey: fromHex(vectors.B), secretKey: fromHex(vectors.b) };

describe("onion hop encryption", () => {
  for (const encType of ["aes-gcm", "xchacha20"] as const) {
    it(`opens libsession's ${encType} layer with the node key`, () => {
      const layer = decodeOnionLayer(fromHex(vectors.layers[encType]));
      const info = firstHopInfoSchema.parse(layer.json);
      expect(info.enc_type).toBe(encType);
      expect(info.ephemeral_key).toBe(vectors.A);
      const plain = decryptFromClient(encType, layer.payload, fromHex(info.ephemeral_key), server);
      expect(utf8Decode(plain)).toBe(vectors.plaintext);
    });

    it(`${encType}: a reply sealed by the node opens with the client's hop key`, () => {
      const node = x25519Keypair();
      const req = onionSealLayer(utf8Encode("ping"), node.publicKey, encType);
      expect(utf8Decode(decryptFromClient(encType, req.ciphertext, req.ephemeralPublicKey, node))).toBe(
        "ping",
      );
      const reply = encryptToClient(encType, utf8Encode("pong"), req.ephemeralPublicKey, node);
      expect(utf8Decode(openHopReply(encType, reply, req.keys))).toBe("pong");
    });
  }

  it("refuses tampered, short and wrong-key ciphertexts with ONION_DECRYPT_FAILED", () => {
    const node = x25519Keypair();
    const other = x25519Keypair();
    for (const encType of ["aes-gcm", "xchacha20"] as EncType[]) {
      const req = onionSealLayer(utf8Encode("secret"), node.publicKey, encType);
      const tampered = req.ciphertext.slice();
      tampered[tampered.length - 1]! ^= 1;
      const attempts = [
        () => decryptFromClient(encType, tampered, req.ephemeralPublicKey, node),
        () => decryptFromClient(encType, req.ciphertext.subarray(0, 20), req.ephemeralPublicKey, node),
        () => decryptFromClient(encType, req.ciphertext, req.ephemeralPublicKey, other),
        () => decryptFromClient(encType, req.ciphertext, new Uint8Array(32), node),
      ];
      for (const f of attempts)
        expect(f).toThrowError(expect.objectContaining({ code: "ONION_DECRYPT_FAILED" }));
    }
  });

  it("generates distinct key pairs whose public half matches the secret", () => {
    const a = x25519Keypair();
    const b = x25519Keypair();
    expect(toHex(a.publicKey)).not.toBe(toHex(b.publicKey));
    const viaA = onionSealLayer(utf8Encode("x"), a.publicKey, "aes-gcm");
    expect(utf8Decode(decryptFromClient("aes-gcm", viaA.ciphertext, viaA.ephemeralPublicKey, a))).toBe("x");
  });
});
