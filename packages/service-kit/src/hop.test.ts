import { onionSealLayer, x25519Keypair, x25519SharedSecret } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import { describe, expect, it } from "vitest";
import { type EncType, hopServer, openHopReply } from "./hop.ts";

describe.each(["aes-gcm", "xchacha20"] as EncType[])("hopServer.openWithSharedSecret (%s)", (encType) => {
  const node = x25519Keypair();
  const hop = hopServer(node, "Invalid ciphertext");
  const layer = onionSealLayer(new TextEncoder().encode("layer"), node.publicKey, encType);
  const pk = layer.ephemeralPublicKey;

  it("opens what open opens, and its seal answers the client", () => {
    const opened = hop.openWithSharedSecret(
      encType,
      layer.ciphertext,
      pk,
      x25519SharedSecret(node.secretKey, pk),
    );
    expect(new TextDecoder().decode(opened.plaintext)).toBe("layer");
    const reply = opened.seal(new TextEncoder().encode("answer"));
    expect(new TextDecoder().decode(openHopReply(encType, reply, layer.keys))).toBe("answer");
  });

  it("fails as open does: ONION_DECRYPT_FAILED with the server's message", () => {
    const failure = (f: () => unknown) => {
      let thrown: unknown;
      try {
        f();
      } catch (err) {
        thrown = err;
      }
      // Also fails the test when `f` opened.
      expect(thrown).toBeInstanceOf(ProtocolError);
      const e = thrown as ProtocolError;
      return `${e.code} ${e.message} ${(e.cause as Error).message}`;
    };
    const zero = new Uint8Array(32);
    expect(failure(() => hop.openWithSharedSecret(encType, layer.ciphertext, zero, null))).toBe(
      failure(() => hop.open(encType, layer.ciphertext, zero)),
    );
    const short = layer.ciphertext.subarray(0, 12);
    expect(
      failure(() => hop.openWithSharedSecret(encType, short, pk, x25519SharedSecret(node.secretKey, pk))),
    ).toBe(failure(() => hop.open(encType, short, pk)));
    expect(failure(() => hop.open(encType, short, pk))).toMatch(/^ONION_DECRYPT_FAILED Invalid ciphertext /);
  });
});
