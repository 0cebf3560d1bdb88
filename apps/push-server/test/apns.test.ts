import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApnsStandIn } from "./apns-stand-in.ts";

const apns = new ApnsStandIn();
/** The provider's answers as the queue reads them: drop the token, or try again later. */
const invalidToken = { name: "DeliveryError", code: "INVALID_TOKEN", retryable: false };
const retry = { name: "DeliveryError", code: "DELIVERY_FAILED", retryable: true };
beforeAll(() => apns.start());
afterAll(() => apns.stop());

describe("APNs notifier (HTTP/2, token auth) against a loopback stand-in", () => {
  it("delivers a mutable-content alert carrying the encrypted payload, with a valid ES256 token", async () => {
    const n = apns.notifier();
    await n.send({ service: "apns", token: "abcdef0123", encPayload: new Uint8Array([1, 2, 3]) });
    const last = apns.received.at(-1)!;
    expect(last.status).toBe(200);
    expect(last.path).toBe("/3/device/abcdef0123");
    expect(last.headers["apns-topic"]).toBe("network.session.app");
    expect(last.headers["apns-push-type"]).toBe("alert");
    const body = JSON.parse(last.body);
    expect(body.aps["mutable-content"]).toBe(1);
    expect(Buffer.from(body.enc_payload, "base64")).toEqual(Buffer.from([1, 2, 3]));
    n.close();
  });

  it("maps 410/BadDeviceToken to token removal and 5xx to a retry", async () => {
    const n = apns.notifier();
    const enc = new Uint8Array(4);
    await expect(n.send({ service: "apns", token: "dead", encPayload: enc })).rejects.toMatchObject(
      invalidToken,
    );
    await expect(n.send({ service: "apns", token: "0bad", encPayload: enc })).rejects.toMatchObject(
      invalidToken,
    );
    await expect(n.send({ service: "apns", token: "b05e", encPayload: enc })).rejects.toMatchObject(retry);
    await expect(n.send({ service: "apns", token: "not hex!", encPayload: enc })).rejects.toMatchObject(
      invalidToken,
    );
    n.close();
  });

  it("a wrong signing key is refused by the provider (retry, token refreshed)", async () => {
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const n = apns.notifier({ privateKeyPem: other });
    await expect(
      n.send({ service: "apns", token: "abcd", encPayload: new Uint8Array(1) }),
    ).rejects.toMatchObject(retry);
    expect(apns.received.at(-1)?.status).toBe(403);
    n.close();
  });
});
