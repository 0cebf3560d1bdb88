import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, type AgentOptions } from "node:https";
import type { Socket } from "node:net";
import { rootCertificates } from "node:tls";
import { toBase64 } from "@session/crypto";
import { type App, cert, deleteApp, initializeApp } from "firebase-admin/app";
import { getMessaging, type Messaging } from "firebase-admin/messaging";
import { z } from "zod";
import { DeliveryError } from "../domain/errors.ts";
import type { Notifier, PushNotification } from "./types.ts";

/** spns firebase notifier's `spns` data field (SPNS_FIREBASE_VERSION). */
export const SPNS_FIREBASE_VERSION = "1";

/** The fields of a Google service-account key file firebase-admin needs to mint OAuth tokens. */
export const serviceAccountSchema = z.object({
  project_id: z.string().min(1),
  client_email: z.string().min(1),
  private_key: z
    .string()
    .min(1)
    .refine(
      (pem) => {
        try {
          return createPrivateKey(pem).asymmetricKeyType === "rsa";
        } catch {
          return false;
        }
      },
      { message: "must be an RSA private key in PEM form" },
    ),
});
export type ServiceAccount = z.output<typeof serviceAccountSchema>;

/** Reads and checks a service-account key file; the error names the first bad field. */
export function readServiceAccountFile(path: string): ServiceAccount {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read service account JSON ${path}: ${err instanceof Error ? err.message : err}`, {
      cause: err,
    });
  }
  const r = serviceAccountSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`service account ${path}: ${i?.path.join(".") || "(file)"} ${i?.message ?? "invalid"}`);
  }
  return r.data;
}

/** Where to dial instead of the host a URL names (an egress relay, or a stand-in in tests). */
export interface ConnectTo {
  host: string;
  port: number;
}

export interface FcmOptions {
  /** The service-account key file (JSON from the Firebase console). */
  serviceAccountFile: string;
  /** Every TLS connection (OAuth token endpoint and FCM) goes to this address; SNI and the
   *  certificate check still use the original host name. */
  connectTo?: ConnectTo;
  /** A PEM CA trusted on top of the system roots (a relay's or stand-in's certificate). */
  extraCa?: string;
}

/**
 * An https.Agent for firebase-admin: keep-alive, optionally an extra trusted CA, and optionally
 * every connection dialled to `connectTo` instead of the request's host.
 */
export function fcmHttpAgent(o: Pick<FcmOptions, "connectTo" | "extraCa">): Agent {
  const opts: AgentOptions = {
    keepAlive: true,
    ...(o.extraCa ? { ca: [...rootCertificates, o.extraCa] } : {}),
  };
  const to = o.connectTo;
  if (!to) return new Agent(opts);
  return new (class RelayAgent extends Agent {
    // The http Agent has already set `servername` to the request's host: only the address changes.
    override createConnection(options: object, cb?: (err: Error | null, s: Socket) => void) {
      const create = Agent.prototype.createConnection as (o: object, cb?: unknown) => Socket;
      return create.call(this, { ...options, host: to.host, port: to.port }, cb);
    }
  })(opts);
}

/** firebase-admin error codes that mean the device token will never work again. */
const INVALID_TOKEN_CODES = new Set([
  "messaging/registration-token-not-registered",
  "messaging/invalid-registration-token",
  "messaging/invalid-argument",
]);

/** What a firebase-admin error means for the queue: drop the token, or retry later. */
export function classifyFcmError(err: unknown): DeliveryError {
  const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
  const reason = `${code || "error"}: ${err instanceof Error ? err.message : String(err)}`;
  if (INVALID_TOKEN_CODES.has(code)) return new DeliveryError("INVALID_TOKEN", reason, { cause: err });
  // server-unavailable, internal-error, message-rate-exceeded, app/network-error,
  // app/invalid-credential (token endpoint unreachable), anything unknown: temporary.
  return new DeliveryError("DELIVERY_FAILED", reason, { cause: err });
}

let appSeq = 0;

/**
 * FCM through firebase-admin: `messaging.send` (HTTP/1.1 to fcm.googleapis.com
 * /v1/projects/{id}/messages:send) with OAuth tokens minted and refreshed by firebase-admin from
 * the service account (JWT bearer grant). Both go through one https.Agent, so `connectTo` and
 * `extraCa` cover token minting and sending alike. The message carries
 * `data: { enc_payload: base64, spns: "1" }` and high Android priority, like the spns firebase
 * notifier. firebase-admin itself retries a 503 up to 4 times (0, 1, 2, 4 s) before reporting it.
 */
export class FcmNotifier implements Notifier {
  readonly service = "firebase";
  readonly projectId: string;
  private readonly app: App;
  private readonly agent: Agent;
  private readonly messaging: Messaging;

  constructor(o: FcmOptions) {
    const sa = readServiceAccountFile(o.serviceAccountFile);
    this.projectId = sa.project_id;
    this.agent = fcmHttpAgent(o);
    const credential = cert(o.serviceAccountFile, this.agent);
    // firebase-admin keeps one credential per key-file path for the whole process, with the agent
    // of its first use: a second notifier on the same file would mint tokens through the first
    // one's connections.
    if ((credential as unknown as { httpAgent?: unknown }).httpAgent !== this.agent)
      throw new Error(
        `firebase-admin already holds a credential for ${o.serviceAccountFile}: one FCM notifier per service-account file per process`,
      );
    this.app = initializeApp(
      {
        // From the file path, not the parsed object: firebase-admin 13 hands the agent to the token
        // client only when it loads the key file itself (from an object it would dial Google
        // directly, ignoring connectTo and extraCa).
        credential,
        httpAgent: this.agent,
        projectId: sa.project_id,
      },
      `push-server-fcm-${++appSeq}`,
    );
    this.messaging = getMessaging(this.app);
  }

  async send(n: PushNotification): Promise<void> {
    try {
      await this.messaging.send({
        token: n.token,
        data: { enc_payload: toBase64(n.encPayload), spns: SPNS_FIREBASE_VERSION },
        android: { priority: "high" },
      });
    } catch (err) {
      throw classifyFcmError(err);
    }
  }

  async close(): Promise<void> {
    await deleteApp(this.app);
    this.agent.destroy();
  }
}
