import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, verify } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import selfsigned from "selfsigned";
import { FcmNotifier, type ServiceAccount } from "../src/notifiers/fcm.ts";
import { closeServer, listenOnLoopback } from "./loopback.ts";

/** The hosts firebase-admin talks to for FCM: the stand-in's certificate covers both. */
export const GOOGLE_TOKEN_HOST = "oauth2.googleapis.com";
export const FCM_HOST = "fcm.googleapis.com";
const TOKEN_AUD = `https://${GOOGLE_TOKEN_HOST}/token`;
const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

/** A fresh RSA service account, as the Firebase console hands out (only the fields we use). */
export function testServiceAccount(projectId = "session-test"): ServiceAccount & { type: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    type: "service_account",
    project_id: projectId,
    client_email: `push-server@${projectId}.iam.gserviceaccount.com`,
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

export interface FcmMessage {
  token: string;
  data: { enc_payload: string; spns: string };
  android?: { priority?: string };
  [k: string]: unknown;
}

export interface FcmSend {
  host: string | undefined;
  path: string;
  auth: string | undefined;
  body: { message: FcmMessage };
}

type TokenError = "UNREGISTERED" | "INVALID_ARGUMENT";

const fcmError = (code: number, status: string, message: string, errorCode?: string) =>
  JSON.stringify({
    error: {
      code,
      message,
      status,
      ...(errorCode
        ? { details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }] }
        : {}),
    },
  });

/**
 * A loopback TLS stand-in for Google's OAuth token endpoint and the FCM HTTP v1 API, reached by
 * firebase-admin through an agent that dials it (`FCM_CONNECT_TO`) and trusts its self-signed
 * certificate (`FCM_EXTRA_CA_FILE`). It verifies the RS256 JWT assertion against the service
 * account's public key (iss, scope, aud, iat/exp), mints bearer tokens, accepts `messages:send` only
 * with a token it minted and not expired, and records each message. `outage` makes sends (and
 * `tokenOutage` token requests) fail with that HTTP status; `tokenErrors` fails chosen device tokens.
 */
export class FcmStandIn {
  readonly ca: string;
  private readonly tls: { key: string; cert: string };
  private readonly publicKey: KeyObject;
  readonly received: FcmSend[] = [];
  /** Access tokens minted, in order. */
  readonly minted: string[] = [];
  private readonly live = new Map<string, number>();
  readonly tokenErrors = new Map<string, TokenError>();
  /** Answer every messages:send with this status (503 UNAVAILABLE or 500 INTERNAL). */
  outage: 503 | 500 | undefined;
  tokenOutage: 503 | undefined;
  /** Lifetime of minted access tokens. */
  expiresInS = 3600;
  /** messages:send requests seen (including failed ones), and when each arrived. */
  attempts = 0;
  readonly attemptTimes: number[] = [];
  private server: Server | undefined;
  port = 0;

  constructor(
    readonly serviceAccount: ServiceAccount,
    private readonly now: () => number = Date.now,
  ) {
    this.publicKey = createPublicKey(serviceAccount.private_key);
    const pems = selfsigned.generate([{ name: "commonName", value: "google stand-in" }], {
      keySize: 2048,
      days: 2,
      algorithm: "sha256",
      extensions: [
        { name: "basicConstraints", cA: true },
        { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true },
        { name: "extKeyUsage", serverAuth: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: FCM_HOST },
            { type: 2, value: GOOGLE_TOKEN_HOST },
          ],
        },
      ],
    });
    this.tls = { key: pems.private, cert: pems.cert };
    this.ca = pems.cert;
  }

  /** `host:port` for FCM_CONNECT_TO. */
  get address() {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * While true the stand-in is down as seen from a client: every connection, open or new, is
   * reset. Its port stays bound, so coming back cannot race another process for the address.
   */
  get unreachable(): boolean {
    return this.down;
  }
  set unreachable(down: boolean) {
    this.down = down;
    if (down) this.server?.closeAllConnections();
  }
  private down = false;

  async start(port = 0): Promise<void> {
    const server = createServer(this.tls, (req, res) => void this.handle(req, res));
    server.on("connection", (socket) => {
      if (this.down) socket.destroy();
    });
    this.port = await listenOnLoopback(server, port);
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await closeServer(s, () => s.closeAllConnections());
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const host = req.headers.host?.replace(/:\d+$/, "");
    const json = (status: number, text: string) =>
      res.writeHead(status, { "content-type": "application/json; charset=UTF-8" }).end(text);
    if (req.method === "POST" && host === GOOGLE_TOKEN_HOST && req.url === "/token") {
      if (this.tokenOutage) return json(this.tokenOutage, '{"error":"unavailable"}');
      const form = new URLSearchParams(body);
      const problem =
        form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer"
          ? "unsupported_grant_type"
          : this.assertionProblem(form.get("assertion") ?? "");
      if (problem) return json(400, JSON.stringify({ error: "invalid_grant", error_description: problem }));
      const token = `ya29.standin-${randomBytes(12).toString("hex")}`;
      this.minted.push(token);
      this.live.set(token, this.now() + this.expiresInS * 1000);
      return json(
        200,
        JSON.stringify({ access_token: token, expires_in: this.expiresInS, token_type: "Bearer" }),
      );
    }
    const sendPath = `/v1/projects/${this.serviceAccount.project_id}/messages:send`;
    if (req.method === "POST" && host === FCM_HOST && req.url === sendPath) {
      this.attempts++;
      this.attemptTimes.push(Date.now());
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const until = this.live.get(bearer);
      if (until === undefined || until <= this.now())
        return json(401, fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
      if (this.outage === 503)
        return json(503, fcmError(503, "UNAVAILABLE", "The service is currently unavailable."));
      if (this.outage === 500) return json(500, fcmError(500, "INTERNAL", "Internal error encountered."));
      let parsed: FcmSend["body"];
      try {
        parsed = JSON.parse(body) as FcmSend["body"];
      } catch {
        return json(400, fcmError(400, "INVALID_ARGUMENT", "Invalid JSON payload received."));
      }
      const err = this.tokenErrors.get(parsed.message?.token);
      if (err === "UNREGISTERED")
        return json(404, fcmError(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"));
      if (err === "INVALID_ARGUMENT")
        return json(
          400,
          fcmError(
            400,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            "INVALID_ARGUMENT",
          ),
        );
      this.received.push({
        host: req.headers.host,
        path: req.url,
        auth: req.headers.authorization,
        body: parsed,
      });
      return json(
        200,
        JSON.stringify({
          name: `projects/${this.serviceAccount.project_id}/messages/${this.received.length}`,
        }),
      );
    }
    json(404, fcmError(404, "NOT_FOUND", `no such endpoint: ${req.method} ${host}${req.url}`));
  }

  /** Why a JWT bearer assertion is refused, or undefined when it is good. */
  private assertionProblem(jwt: string): string | undefined {
    const [h, c, s] = jwt.split(".");
    if (!h || !c || !s) return "malformed assertion";
    let header: { alg?: string };
    let claims: { iss?: string; scope?: string; aud?: string; iat?: number; exp?: number };
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString());
      claims = JSON.parse(Buffer.from(c, "base64url").toString());
    } catch {
      return "malformed assertion";
    }
    if (header.alg !== "RS256") return `alg ${header.alg}`;
    if (!verify("sha256", Buffer.from(`${h}.${c}`), this.publicKey, Buffer.from(s, "base64url")))
      return "Invalid JWT Signature.";
    if (claims.iss !== this.serviceAccount.client_email) return `iss ${claims.iss}`;
    if (!(claims.scope ?? "").split(" ").includes(FCM_SCOPE)) return `scope ${claims.scope}`;
    if (claims.aud !== TOKEN_AUD) return `aud ${claims.aud}`;
    const nowS = this.now() / 1000;
    if (typeof claims.iat !== "number" || typeof claims.exp !== "number") return "iat/exp missing";
    if (claims.iat > nowS + 60 || claims.exp <= nowS || claims.exp - claims.iat > 3600)
      return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.";
    return undefined;
  }
}

/** A started stand-in with a fresh service account, and firebase-admin (FcmNotifier) set up to reach it. */
export interface FcmStandInNotifier {
  fcm: FcmStandIn;
  notifier: FcmNotifier;
  /** Closes the notifier, then stops the stand-in. */
  close(): Promise<void>;
}

/**
 * Starts a stand-in and an FcmNotifier that dials it and trusts its certificate, as main.ts
 * configures one from FCM_CONNECT_TO and FCM_EXTRA_CA_FILE; the service-account file goes in `dir`.
 */
export async function startFcmStandIn(dir: string, projectId = "session-test"): Promise<FcmStandInNotifier> {
  const account = testServiceAccount(projectId);
  const serviceAccountFile = join(dir, `${projectId}-service-account.json`);
  writeFileSync(serviceAccountFile, JSON.stringify(account));
  const fcm = new FcmStandIn(account);
  await fcm.start();
  const notifier = new FcmNotifier({
    serviceAccountFile,
    connectTo: { host: "127.0.0.1", port: fcm.port },
    extraCa: fcm.ca,
  });
  return {
    fcm,
    notifier,
    async close() {
      await notifier.close();
      await fcm.stop();
    },
  };
}
