import { encryptPushPayload, generateSeed, toBase64 } from "@session/crypto";
import { encodePushNotification } from "@session/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openPushNotification } from "./push.ts";

const msg = {
  pubkey: `05${"cd".repeat(32)}`,
  hash: "qk2bHxBEm6e9qF6m0E8cNhJr1zVgB1xwFsU7bXG7QyE",
  namespace: -10,
  timestamp: 1_750_000_000_000,
  expiry: 1_751_000_000_000,
};

describe("openPushNotification", () => {
  it("opens what the push server encrypts, from base64 or bytes", () => {
    const key = generateSeed();
    const data = new TextEncoder().encode("hello bob");
    const enc = encryptPushPayload(key, encodePushNotification({ ...msg, data }));
    for (const payload of [enc, toBase64(enc)]) {
      const n = openPushNotification(payload, key);
      expect(n).toMatchObject({
        account: msg.pubkey,
        hash: msg.hash,
        namespace: -10,
        timestamp: msg.timestamp,
        expiry: msg.expiry,
        length: data.length,
        tooBig: false,
      });
      expect(new TextDecoder().decode(n.body)).toBe("hello bob");
    }
    const big = openPushNotification(
      encryptPushPayload(key, encodePushNotification({ ...msg, data: new Uint8Array(4000) })),
      key,
    );
    expect(big).toMatchObject({ tooBig: true, length: 4000 });
    expect(big.body).toBeUndefined();
  });

  it("refuses a wrong key, a tampered or garbage payload with BAD_NOTIFICATION", () => {
    const key = generateSeed();
    const enc = encryptPushPayload(key, encodePushNotification(msg));
    const tampered = enc.slice();
    tampered[30]! ^= 1;
    const cases: (Uint8Array | string)[] = [
      enc.slice(0, 10),
      tampered,
      "not base64 !!",
      encryptPushPayload(key, new TextEncoder().encode("d1:xi1ee")),
    ];
    expect(() => openPushNotification(enc, generateSeed())).toThrowError(
      expect.objectContaining({ code: "BAD_NOTIFICATION" }),
    );
    for (const c of cases)
      expect(() => openPushNotification(c, key)).toThrowError(
        expect.objectContaining({ code: "BAD_NOTIFICATION" }),
      );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          openPushNotification(b, key);
          return false;
        } catch (err) {
          return (err as { code?: string }).code === "BAD_NOTIFICATION";
        }
      }),
    );
  });
});
