import { toBase64 } from "@session/crypto";
import type { Notifier, PushNotification, SendOutcome } from "./types.ts";

/** spns firebase notifier's `spns` data field (SPNS_FIREBASE_VERSION). */
export const SPNS_FIREBASE_VERSION = "1";

export interface FcmOptions {
  /** Base URL of the FCM HTTP v1 API: https://fcm.googleapis.com, or a stand-in for tests. */
  endpoint: string;
  projectId: string;
  /** OAuth2 bearer token for the project (minting it from a service account is not done here). */
  accessToken: () => Promise<string> | string;
  fetch: typeof fetch;
  timeoutMs?: number;
}

/**
 * FCM HTTP v1 `messages:send` over fetch. (Not firebase-admin: its endpoint cannot be pointed at
 * a loopback stand-in without patching, and this keeps retries and token removal in our hands.)
 * The message carries `data: { enc_payload: base64, spns: "1" }` like the spns firebase notifier.
 */
export class FcmNotifier implements Notifier {
  readonly service = "firebase";

  constructor(private readonly opts: FcmOptions) {}

  async send(n: PushNotification): Promise<SendOutcome> {
    const url = `${this.opts.endpoint.replace(/\/$/, "")}/v1/projects/${encodeURIComponent(this.opts.projectId)}/messages:send`;
    let res: Response;
    try {
      res = await this.opts.fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${await this.opts.accessToken()}`,
        },
        body: JSON.stringify({
          message: {
            token: n.token,
            data: { enc_payload: toBase64(n.encPayload), spns: SPNS_FIREBASE_VERSION },
            android: { priority: "high" },
          },
        }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      return { kind: "retry", reason: `fcm unreachable: ${String(err)}` };
    }
    if (res.ok) {
      await res.body?.cancel();
      return { kind: "sent" };
    }
    const text = await res.text().catch(() => "");
    // FCM v1: 404 UNREGISTERED = token no longer valid; 400 INVALID_ARGUMENT naming the token =
    // malformed token. 429 / 5xx are temporary.
    if (
      res.status === 404 ||
      (res.status === 400 && /UNREGISTERED|registration token|INVALID_ARGUMENT/.test(text))
    )
      return { kind: "invalid_token", reason: `fcm ${res.status}` };
    const ra = Number(res.headers.get("retry-after"));
    return {
      kind: "retry",
      reason: `fcm ${res.status}`,
      ...(Number.isFinite(ra) && ra > 0 ? { retryAfterMs: ra * 1000 } : {}),
    };
  }
}
