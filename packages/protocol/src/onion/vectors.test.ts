import { fromHex, toHex } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { aesGcmDecrypt, x25519FromSecret } from "../../test/helpers/hop.ts";
import vectors from "../../test/vectors/onion.json" with { type: "json" };
import { decodeOnionLayer, encodeOnionLayer } from "./layer.ts";
import { firstHopInfoSchema, isOnionUrlTargetAllowed, parseOnionRouting } from "./routing.ts";

describe("onion vectors from libsession and oxenss", () => {
  it.each(vectors.framedLayers)("decodes libsession's $name request layer", (v) => {
    const layer = decodeOnionLayer(fromHex(v.hex));
    expect(layer.payload).toHaveLength(v.payloadLength);
    const info = firstHopInfoSchema.parse(layer.json);
    expect(info.enc_type).toBe(v.encType);
    expect(info.ephemeral_key).toBe(v.ephemeralKey);
    // re-framing the same payload and JSON gives the same prefix and payload bytes
    const again = encodeOnionLayer(layer.payload, layer.json);
    expect(toHex(again.subarray(0, 4 + v.payloadLength))).toBe(v.hex.slice(0, (4 + v.payloadLength) * 2));
  });

  it("the aes-gcm layer decrypts to libsession's plaintext (checks our test hop encryption too)", () => {
    const k = vectors.framedLayersKeys;
    const own = x25519FromSecret(fromHex(k.recipientX25519Secret));
    expect(toHex(own.pub)).toBe(k.recipientX25519Public);
    const v = vectors.framedLayers[0]!;
    const layer = decodeOnionLayer(fromHex(v.hex));
    const info = firstHopInfoSchema.parse(layer.json);
    expect(new TextDecoder().decode(aesGcmDecrypt(layer.payload, own, fromHex(info.ephemeral_key)))).toBe(
      k.plaintext,
    );
  });

  it.each(vectors.routing)("oxenss: $name", (v) => {
    const layer = decodeOnionLayer(fromHex(v.hex));
    expect(new TextDecoder().decode(layer.payload)).toBe("ciphertext");
    expect(parseOnionRouting(layer.json)).toMatchObject(v.expect);
  });

  it("url target filtering", () => {
    for (const t of vectors.urlTargets.allowed) expect(isOnionUrlTargetAllowed(t)).toBe(true);
    for (const t of vectors.urlTargets.refused) expect(isOnionUrlTargetAllowed(t)).toBe(false);
  });
});
