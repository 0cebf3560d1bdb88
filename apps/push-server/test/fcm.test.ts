import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBase64 } from "@session/crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FcmNotifier } from "../src/notifiers/fcm.ts";
import { FCM_HOST, FcmStandIn, testServiceAccount } from "./fcm-stand-in.ts";

// firebase-admin against a loopback TLS stand-in for oauth2.googleapis.com and fcm.googleapis.com.
const dir = mkdtempSync(join(tmpdir(), "push-fcm-"));
const account = testServiceAccount("session-test");
const accountFile = (a: object, name = "sa.json") => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(a));
  return path;
};
let files = 0;
const fcm = new FcmStandIn(account);
/** The provider's answers as the queue reads them: drop the token, or try again later. */
const invalidToken = { name: "DeliveryError", code: "INVALID_TOKEN", retryable: false };
const retry = { name: "DeliveryError", code: "DELIVERY_FAILED", retryable: true };
const notifiers: FcmNotifier[] = [];
const notifier = (over: Partial<ConstructorParameters<typeof FcmNotifier>[0]> = {}) => {
  const n = new FcmNotifier({
    // One file per notifier: firebase-admin caches a credential (and its agent) per path.
    serviceAccountFile: accountFile(account, `sa-${++files}.json`),
    connectTo: { host: "127.0.0.1", port: fcm.port },
    extraCa: fcm.ca,
    ...over,
  });
  notifiers.push(n);
  return n;
};
const note = (token: string, bytes = [1, 2, 3]) => ({
  service: "firebase",
  token,
  encPayload: new Uint8Array(bytes),
});

beforeAll(() => fcm.start());
afterEach(() => {
  fcm.outage = undefined;
  fcm.tokenOutage = undefined;
  fcm.expiresInS = 3600;
  fcm.tokenErrors.clear();
});
afterAll(async () => {
  for (const n of notifiers) await n.close();
  await fcm.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("FCM notifier (firebase-admin) against a loopback stand-in", () => {
  it("mints an OAuth token from the service account and sends the spns message shape", async () => {
    const n = notifier();
    const mintedBefore = fcm.minted.length;
    expect(await n.send(note("phone-1", [9, 8, 7]))).toBeUndefined();
    expect(fcm.minted.length).toBe(mintedBefore + 1);
    const sent = fcm.received.at(-1)!;
    expect(sent.host).toBe(FCM_HOST);
    expect(sent.path).toBe("/v1/projects/session-test/messages:send");
    expect(sent.auth).toBe(`Bearer ${fcm.minted.at(-1)}`);
    expect(sent.body).toEqual({
      message: {
        token: "phone-1",
        data: { enc_payload: "CQgH", spns: "1" },
        android: { priority: "high" },
      },
    });
    expect(fromBase64(sent.body.message.data.enc_payload)).toEqual(new Uint8Array([9, 8, 7]));
    // The token is cached while it is far from expiry.
    expect(await n.send(note("phone-2"))).toBeUndefined();
    expect(fcm.minted.length).toBe(mintedBefore + 1);
    expect(fcm.received.at(-1)!.auth).toBe(`Bearer ${fcm.minted.at(-1)}`);
  });

  it("refreshes the access token when it is about to expire", async () => {
    const n = notifier();
    fcm.expiresInS = 120; // inside firebase-admin's 5-minute refresh margin
    const before = fcm.minted.length;
    expect(await n.send(note("a"))).toBeUndefined();
    expect(await n.send(note("b"))).toBeUndefined();
    expect(fcm.minted.length).toBe(before + 2);
    expect(fcm.received.at(-1)!.auth).toBe(`Bearer ${fcm.minted.at(-1)}`);
  });

  it("refuses a second notifier on the same key file (firebase-admin's credential cache)", () => {
    const path = accountFile(account, "shared.json");
    notifier({ serviceAccountFile: path });
    expect(() => notifier({ serviceAccountFile: path })).toThrow(/one FCM notifier per service-account file/);
  });

  it("refuses a bad key file with the field named", () => {
    expect(() => notifier({ serviceAccountFile: join(dir, "missing.json") })).toThrow(
      /cannot read service account/,
    );
    const { private_key: _, ...noKey } = account;
    expect(() => notifier({ serviceAccountFile: accountFile(noKey, "nokey.json") })).toThrow(/private_key/);
    expect(() =>
      notifier({
        serviceAccountFile: accountFile({ ...account, private_key: "-----BEGIN nonsense" }, "bad.json"),
      }),
    ).toThrow(/private_key must be an RSA private key/);
  });

  it("is refused tokens for an assertion signed with another key (retried, not a token error)", async () => {
    const other = testServiceAccount("session-test");
    const n = notifier({
      serviceAccountFile: accountFile({ ...other, client_email: account.client_email }, "other.json"),
    });
    const before = fcm.received.length;
    await expect(n.send(note("phone-1"))).rejects.toMatchObject({
      ...retry,
      message: expect.stringMatching(/invalid-credential.*Invalid JWT Signature/s),
    });
    expect(fcm.received.length).toBe(before);
  });

  it("reports UNREGISTERED and INVALID_ARGUMENT tokens as invalid", async () => {
    const n = notifier();
    fcm.tokenErrors.set("gone", "UNREGISTERED");
    fcm.tokenErrors.set("garbage", "INVALID_ARGUMENT");
    await expect(n.send(note("gone"))).rejects.toMatchObject({
      ...invalidToken,
      message: expect.stringMatching(/^messaging\/registration-token-not-registered/),
    });
    await expect(n.send(note("garbage"))).rejects.toMatchObject({
      ...invalidToken,
      message: expect.stringMatching(/^messaging\/invalid-argument/),
    });
    expect(await n.send(note("fine"))).toBeUndefined();
  });

  it("reports 500, 503 (after firebase-admin's own 4 retries) and a dead endpoint as temporary", async () => {
    const n = notifier();
    fcm.outage = 500;
    let before = fcm.attempts;
    await expect(n.send(note("x"))).rejects.toMatchObject({
      ...retry,
      message: expect.stringMatching(/^messaging\/internal-error/),
    });
    expect(fcm.attempts - before).toBe(1);
    fcm.outage = 503;
    before = fcm.attempts;
    await expect(n.send(note("x"))).rejects.toMatchObject({
      ...retry,
      message: expect.stringMatching(/^messaging\/server-unavailable/),
    });
    expect(fcm.attempts - before).toBe(5);
    fcm.outage = undefined;
    const dead = notifier({ connectTo: { host: "127.0.0.1", port: 9 } });
    await expect(dead.send(note("x"))).rejects.toMatchObject(retry);
  }, 30_000);

  it("treats a token endpoint outage as temporary, and mints once it is back", async () => {
    const n = notifier();
    fcm.tokenOutage = 503;
    const minted = fcm.minted.length;
    const sends = fcm.attempts;
    await expect(n.send(note("x"))).rejects.toMatchObject({
      ...retry,
      message: expect.stringMatching(/^app\/invalid-credential/),
    });
    expect(fcm.attempts).toBe(sends);
    fcm.tokenOutage = undefined;
    expect(await n.send(note("x"))).toBeUndefined();
    expect(fcm.minted.length).toBe(minted + 1);
  }, 30_000);

  it("does not trust the stand-in's certificate without the extra CA", async () => {
    const n = notifier({ extraCa: undefined });
    const before = fcm.minted.length;
    await expect(n.send(note("x"))).rejects.toMatchObject({
      ...retry,
      message: expect.stringMatching(/self[- ]signed|certificate/i),
    });
    expect(fcm.minted.length).toBe(before);
  });
});
