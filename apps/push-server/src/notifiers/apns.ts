import { createPrivateKey, type KeyObject, sign } from "node:crypto";
import { type ClientHttp2Session, connect, constants } from "node:http2";
import { toBase64 } from "@session/crypto";
import { DeliveryError } from "../domain/errors.ts";
import type { Notifier, PushNotification } from "./types.ts";

export interface ApnsOptions {
  /** https://api.push.apple.com (production) or https://api.sandbox.push.apple.com; a stand-in in tests. */
  endpoint: string;
  teamId: string;
  keyId: string;
  /** The .p8 signing key (PKCS#8 PEM, P-256) from Apple. */
  privateKeyPem: string;
  /** The app's bundle id (apns-topic). */
  topic: string;
  /** Extra CA for the endpoint's certificate (tests use a self-signed stand-in). */
  ca?: string;
  now?: () => number;
  timeoutMs?: number;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/**
 * APNs over HTTP/2 with token (JWT, ES256) authentication. The provider token is reused for 50
 * minutes (Apple refuses tokens older than an hour and too-frequent refreshes). The notification is
 * a mutable-content alert whose `enc_payload` the app's extension decrypts, as Session's is.
 * 410 and BadDeviceToken/Unregistered → the token is dropped; 429 and 5xx → retried later.
 */
export class ApnsNotifier implements Notifier {
  readonly service = "apns";
  private readonly key: KeyObject;
  private jwt: { token: string; at: number } | undefined;
  private session: ClientHttp2Session | undefined;

  constructor(private readonly o: ApnsOptions) {
    this.key = createPrivateKey(o.privateKeyPem);
  }

  private providerToken(): string {
    const now = (this.o.now ?? Date.now)();
    if (this.jwt && now - this.jwt.at < 50 * 60 * 1000) return this.jwt.token;
    const header = b64url(JSON.stringify({ alg: "ES256", kid: this.o.keyId }));
    const claims = b64url(JSON.stringify({ iss: this.o.teamId, iat: Math.floor(now / 1000) }));
    const sig = sign("sha256", Buffer.from(`${header}.${claims}`), {
      key: this.key,
      dsaEncoding: "ieee-p1363",
    });
    this.jwt = { token: `${header}.${claims}.${b64url(sig)}`, at: now };
    return this.jwt.token;
  }

  private client(): ClientHttp2Session {
    if (!this.session || this.session.closed || this.session.destroyed) {
      this.session = connect(this.o.endpoint, this.o.ca ? { ca: this.o.ca } : {});
      this.session.on("error", () => {
        this.session = undefined;
      });
    }
    return this.session;
  }

  async send(n: PushNotification): Promise<void> {
    if (!/^[0-9a-fA-F]{1,200}$/.test(n.token))
      throw new DeliveryError("INVALID_TOKEN", "malformed device token");
    const body = JSON.stringify({
      aps: { alert: { title: "Session", body: "You've got a new message" }, "mutable-content": 1 },
      enc_payload: toBase64(n.encPayload),
      spns: 1,
    });
    let answer: { status: number; text: string };
    try {
      answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = this.client().request({
          [constants.HTTP2_HEADER_METHOD]: "POST",
          [constants.HTTP2_HEADER_PATH]: `/3/device/${n.token}`,
          authorization: `bearer ${this.providerToken()}`,
          "apns-topic": this.o.topic,
          "apns-push-type": "alert",
          "apns-priority": "10",
          "content-type": "application/json",
        });
        req.setTimeout(this.o.timeoutMs ?? 10_000, () => req.close(constants.NGHTTP2_CANCEL));
        let status = 0;
        let text = "";
        req.on("response", (h) => {
          status = Number(h[constants.HTTP2_HEADER_STATUS]);
        });
        req.setEncoding("utf8");
        req.on("data", (d: string) => {
          text += d;
        });
        req.on("end", () => resolve({ status, text }));
        req.on("error", reject);
        req.end(body);
      });
    } catch (err) {
      this.session = undefined;
      throw new DeliveryError("DELIVERY_FAILED", String(err), { cause: err });
    }
    const { status, text } = answer;
    if (status === 200) return;
    const reason = (() => {
      try {
        return (JSON.parse(text) as { reason?: string }).reason ?? `HTTP ${status}`;
      } catch {
        return `HTTP ${status}`;
      }
    })();
    if (status === 410 || (status === 400 && (reason === "BadDeviceToken" || reason === "Unregistered"))) {
      throw new DeliveryError("INVALID_TOKEN", reason);
    }
    if (status === 403 && reason === "ExpiredProviderToken") this.jwt = undefined;
    throw new DeliveryError("DELIVERY_FAILED", reason);
  }

  close(): void {
    this.session?.close();
  }
}
