import { generateKeyPairSync, verify } from "node:crypto";
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import selfsigned from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApnsNotifier } from "../src/notifiers/apns.ts";

// A loopback HTTP/2 stand-in for APNs: checks the ES256 provider token and the headers.
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const tls = selfsigned.generate([{ name: "commonName", value: "localhost" }], { keySize: 2048, days: 1 });
const received: { path: string; headers: Record<string, unknown>; body: string }[] = [];
let server: Http2SecureServer;
const sessions = new Set<ServerHttp2Session>();
let url: string;

function jwtValid(auth: string): boolean {
  const [h, c, s] = auth.replace(/^bearer /, "").split(".");
  if (!h || !c || !s) return false;
  const header = JSON.parse(Buffer.from(h, "base64url").toString());
  const claims = JSON.parse(Buffer.from(c, "base64url").toString());
  if (header.alg !== "ES256" || header.kid !== "KEY123" || claims.iss !== "TEAM456") return false;
  return verify(
    "sha256",
    Buffer.from(`${h}.${c}`),
    { key: publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(s, "base64url"),
  );
}

beforeAll(async () => {
  server = createSecureServer({ key: tls.private, cert: tls.cert });
  server.on("session", (s) => sessions.add(s));
  server.on("stream", (stream, headers) => {
    let body = "";
    stream.setEncoding("utf8");
    stream.on("data", (d) => {
      body += d;
    });
    stream.on("end", () => {
      const path = String(headers[":path"]);
      received.push({ path, headers, body });
      const token = path.split("/").pop();
      if (!jwtValid(String(headers.authorization))) {
        stream.respond({ ":status": 403 });
        stream.end(JSON.stringify({ reason: "InvalidProviderToken" }));
      } else if (token === "dead") {
        stream.respond({ ":status": 410 });
        stream.end(JSON.stringify({ reason: "Unregistered" }));
      } else if (token === "0bad") {
        stream.respond({ ":status": 400 });
        stream.end(JSON.stringify({ reason: "BadDeviceToken" }));
      } else if (token === "b05e") {
        stream.respond({ ":status": 503 });
        stream.end(JSON.stringify({ reason: "ServiceUnavailable" }));
      } else {
        stream.respond({ ":status": 200 });
        stream.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://localhost:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      for (const s of sessions) s.destroy();
      server.close(() => r());
    }),
);

describe("APNs notifier (HTTP/2, token auth) against a loopback stand-in", () => {
  const notifier = () =>
    new ApnsNotifier({
      endpoint: url,
      teamId: "TEAM456",
      keyId: "KEY123",
      privateKeyPem: pem,
      topic: "network.session.app",
      ca: tls.cert,
    });

  it("delivers a mutable-content alert carrying the encrypted payload, with a valid ES256 token", async () => {
    const n = notifier();
    const out = await n.send({ service: "apns", token: "abcdef0123", encPayload: new Uint8Array([1, 2, 3]) });
    expect(out).toEqual({ kind: "sent" });
    const last = received.at(-1)!;
    expect(last.path).toBe("/3/device/abcdef0123");
    expect(last.headers["apns-topic"]).toBe("network.session.app");
    expect(last.headers["apns-push-type"]).toBe("alert");
    const body = JSON.parse(last.body);
    expect(body.aps["mutable-content"]).toBe(1);
    expect(Buffer.from(body.enc_payload, "base64")).toEqual(Buffer.from([1, 2, 3]));
    n.close();
  });

  it("maps 410/BadDeviceToken to token removal and 5xx to a retry", async () => {
    const n = notifier();
    const enc = new Uint8Array(4);
    expect((await n.send({ service: "apns", token: "dead", encPayload: enc })).kind).toBe("invalid_token");
    expect((await n.send({ service: "apns", token: "0bad", encPayload: enc })).kind).toBe("invalid_token");
    expect((await n.send({ service: "apns", token: "b05e", encPayload: enc })).kind).toBe("retry");
    expect((await n.send({ service: "apns", token: "not hex!", encPayload: enc })).kind).toBe(
      "invalid_token",
    );
    n.close();
  });

  it("a wrong signing key is refused by the provider (retry, token refreshed)", async () => {
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const n = new ApnsNotifier({
      endpoint: url,
      teamId: "TEAM456",
      keyId: "KEY123",
      privateKeyPem: other,
      topic: "t",
      ca: tls.cert,
    });
    expect((await n.send({ service: "apns", token: "abcd", encPayload: new Uint8Array(1) })).kind).toBe(
      "retry",
    );
    n.close();
  });
});
