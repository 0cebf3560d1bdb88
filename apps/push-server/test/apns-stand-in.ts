import { generateKeyPairSync, type KeyObject, verify } from "node:crypto";
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from "node:http2";
import selfsigned from "selfsigned";
import { ApnsNotifier } from "../src/notifiers/apns.ts";
import { closeServer, listenOnLoopback } from "./loopback.ts";

export interface ApnsRequest {
  path: string;
  /** The device token (last path segment). */
  token: string;
  headers: Record<string, unknown>;
  body: string;
  /** What the stand-in answered. */
  status: number;
}

/**
 * A loopback HTTP/2 (TLS) stand-in for APNs: checks the ES256 provider token against the key it
 * generated, records every request and answers as Apple does — 403 InvalidProviderToken for a bad
 * token, 410 Unregistered for "dead", 400 BadDeviceToken for "0bad", 503 for "b05e", else 200.
 */
export class ApnsStandIn {
  readonly teamId = "TEAM456";
  readonly keyId = "KEY123";
  readonly topic = "network.session.app";
  /** The provider's signing key (what Apple hands out as a .p8). */
  readonly privateKeyPem: string;
  readonly tls = selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keySize: 2048,
    days: 1,
  });
  /** Requests in arrival order (bad provider tokens included). */
  readonly received: ApnsRequest[] = [];
  private readonly publicKey: KeyObject;
  private server: Http2SecureServer | undefined;
  private readonly sessions = new Set<ServerHttp2Session>();
  port = 0;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    this.publicKey = publicKey;
  }

  get url() {
    return `https://localhost:${this.port}`;
  }

  /** Requests answered 200 (valid provider token, live device token). */
  get delivered(): ApnsRequest[] {
    return this.received.filter((r) => r.status === 200);
  }

  /** A notifier pointed at this stand-in, trusting its certificate. */
  notifier(over: { privateKeyPem?: string } = {}): ApnsNotifier {
    return new ApnsNotifier({
      endpoint: this.url,
      teamId: this.teamId,
      keyId: this.keyId,
      privateKeyPem: over.privateKeyPem ?? this.privateKeyPem,
      topic: this.topic,
      ca: this.tls.cert,
    });
  }

  jwtValid(auth: string): boolean {
    const [h, c, s] = auth.replace(/^bearer /, "").split(".");
    if (!h || !c || !s) return false;
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const claims = JSON.parse(Buffer.from(c, "base64url").toString());
    if (header.alg !== "ES256" || header.kid !== this.keyId || claims.iss !== this.teamId) return false;
    return verify(
      "sha256",
      Buffer.from(`${h}.${c}`),
      { key: this.publicKey, dsaEncoding: "ieee-p1363" },
      Buffer.from(s, "base64url"),
    );
  }

  async start(): Promise<void> {
    const server = createSecureServer({ key: this.tls.private, cert: this.tls.cert });
    server.on("session", (s) => this.sessions.add(s));
    server.on("stream", (stream, headers) => {
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (d) => {
        body += d;
      });
      stream.on("end", () => {
        const path = String(headers[":path"]);
        const token = path.split("/").pop() ?? "";
        const answer = (status: number, reason?: string) => {
          this.received.push({ path, token, headers, body, status });
          stream.respond({ ":status": status });
          stream.end(reason ? JSON.stringify({ reason }) : undefined);
        };
        if (!this.jwtValid(String(headers.authorization))) answer(403, "InvalidProviderToken");
        else if (token === "dead") answer(410, "Unregistered");
        else if (token === "0bad") answer(400, "BadDeviceToken");
        else if (token === "b05e") answer(503, "ServiceUnavailable");
        else answer(200);
      });
    });
    this.port = await listenOnLoopback(server);
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s)
      await closeServer(s, () => {
        for (const x of this.sessions) x.destroy();
      });
  }
}
