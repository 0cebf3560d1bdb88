import { readFileSync } from "node:fs";
import { formatSeed, parseSeed } from "@session/node-tls";
import { checkConnectionLimitsEnv, connectionLimitsEnv, loadConfig, logLevelEnv } from "@session/service-kit";
import { z } from "zod";
import { readServiceAccountFile } from "./notifiers/fcm.ts";

export const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3400),
    HOST: z.string().default("0.0.0.0"),
    ...logLevelEnv,
    /** SQLite file path, or postgres://… for PostgreSQL. */
    DATABASE_URL: z.string().min(1).default("./push-server.sqlite"),
    /**
     * Comma-separated seed nodes the node list is fetched from: https seeds pinned as
     * `https://host:port#sha256=<certificate fingerprint>` (see @session/node-tls), or http:// URLs.
     */
    SEED_NODES: z
      .string()
      .optional()
      .transform((s, ctx) => {
        const out: string[] = [];
        for (const x of (s ?? "").split(",").map((v) => v.trim())) {
          if (!x) continue;
          try {
            out.push(formatSeed(parseSeed(x)));
          } catch (err) {
            ctx.addIssue({ code: "custom", message: (err as Error).message });
          }
        }
        return out;
      }),
    /** sns-indexer URL: node list from its /v1/nodes instead of SEED_NODES. */
    INDEXER_URL: z.url().optional(),
    NODE_SCHEME: z.enum(["http", "https"]).default("https"),
    NODES_PER_ACCOUNT: z.coerce.number().int().min(1).max(10).default(2),
    /** "log" (print notifications), "fcm" (firebase-admin) or "off". */
    FIREBASE_NOTIFIER: z.enum(["log", "fcm", "off"]).default("log"),
    /** Google service-account key file (JSON); firebase-admin mints OAuth tokens from it. */
    FCM_SERVICE_ACCOUNT_FILE: z.string().min(1).optional(),
    /** host:port every FCM/OAuth TLS connection is dialled to (egress relay; a stand-in in tests). */
    FCM_CONNECT_TO: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/, "must be host:port")
      .transform((v) => {
        const i = v.lastIndexOf(":");
        return { host: v.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(v.slice(i + 1)) };
      })
      .refine((v) => v.port > 0 && v.port < 65536, "port must be 1..65535")
      .optional(),
    /** A PEM CA file trusted for those connections on top of the system roots. */
    FCM_EXTRA_CA_FILE: z.string().min(1).optional(),
    /** Settings of the former hand-written FCM client: refused, so a stale config is not silently ignored. */
    FCM_ENDPOINT: z.string().optional(),
    FCM_PROJECT_ID: z.string().optional(),
    FCM_ACCESS_TOKEN: z.string().optional(),
    /** "apns" (HTTP/2, token auth), "log", or "off". */
    APNS_NOTIFIER: z.enum(["apns", "log", "off"]).default("off"),
    APNS_ENDPOINT: z.url().default("https://api.push.apple.com"),
    APNS_TEAM_ID: z.string().optional(),
    APNS_KEY_ID: z.string().optional(),
    /** The .p8 ES256 signing key file from Apple. */
    APNS_KEY_FILE: z.string().optional(),
    /** The app's bundle id (apns-topic). */
    APNS_TOPIC: z.string().optional(),
    /** Onion key: a 64-hex secret, else read from/created in KEY_FILE. */
    PUSH_X25519_SECRET_KEY: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits")
      .optional(),
    KEY_FILE: z.string().min(1).default("./push-server-x25519.key"),
    QUEUE_MAX: z.coerce.number().int().positive().default(100_000),
    QUEUE_MAX_BACKOFF_MS: z.coerce.number().int().positive().default(60_000),
    ...connectionLimitsEnv(),
  })
  .superRefine((v, ctx) => {
    checkConnectionLimitsEnv(v, ctx);
    if (v.SEED_NODES.length === 0 && !v.INDEXER_URL)
      ctx.addIssue({
        code: "custom",
        path: ["SEED_NODES"],
        message: "SEED_NODES (comma-separated seed node URLs) or INDEXER_URL is required",
      });
    if (
      v.APNS_NOTIFIER === "apns" &&
      (!v.APNS_TEAM_ID || !v.APNS_KEY_ID || !v.APNS_KEY_FILE || !v.APNS_TOPIC)
    )
      ctx.addIssue({
        code: "custom",
        path: ["APNS_NOTIFIER"],
        message:
          "APNS_TEAM_ID, APNS_KEY_ID, APNS_KEY_FILE and APNS_TOPIC are required with APNS_NOTIFIER=apns",
      });
    for (const old of ["FCM_ENDPOINT", "FCM_PROJECT_ID", "FCM_ACCESS_TOKEN"] as const)
      if (v[old] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [old],
          message: `${old} is no longer used: FCM goes through firebase-admin with FCM_SERVICE_ACCOUNT_FILE (project and OAuth tokens come from it; FCM_CONNECT_TO redirects connections)`,
        });
    if (v.FIREBASE_NOTIFIER === "fcm") {
      if (!v.FCM_SERVICE_ACCOUNT_FILE)
        ctx.addIssue({
          code: "custom",
          path: ["FCM_SERVICE_ACCOUNT_FILE"],
          message: "FCM_SERVICE_ACCOUNT_FILE is required with FIREBASE_NOTIFIER=fcm",
        });
      else
        try {
          readServiceAccountFile(v.FCM_SERVICE_ACCOUNT_FILE);
        } catch (err) {
          ctx.addIssue({
            code: "custom",
            path: ["FCM_SERVICE_ACCOUNT_FILE"],
            message: (err as Error).message,
          });
        }
    }
    if (v.FCM_EXTRA_CA_FILE) {
      let pem = "";
      try {
        pem = readFileSync(v.FCM_EXTRA_CA_FILE, "utf8");
      } catch (err) {
        pem = "";
        ctx.addIssue({ code: "custom", path: ["FCM_EXTRA_CA_FILE"], message: (err as Error).message });
      }
      if (pem && !pem.includes("-----BEGIN CERTIFICATE-----"))
        ctx.addIssue({ code: "custom", path: ["FCM_EXTRA_CA_FILE"], message: "must hold a PEM certificate" });
    }
  });
export type PushEnv = z.output<typeof envSchema>;

export function configFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  onInvalid: "exit" | "throw" = "exit",
  argv: readonly string[] = [],
): PushEnv {
  return loadConfig(envSchema, { env, name: "push server", onInvalid, argv });
}
