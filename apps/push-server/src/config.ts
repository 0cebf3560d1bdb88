import { loadConfig } from "@session/service-kit";
import { z } from "zod";

export const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3400),
    HOST: z.string().default("0.0.0.0"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** SQLite file path, or postgres://… for PostgreSQL. */
    DATABASE_URL: z.string().min(1).default("./push-server.sqlite"),
    /** Comma-separated storage node URLs the node list is fetched from. */
    SEED_NODES: z
      .string()
      .optional()
      .transform((s) =>
        (s ?? "")
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    /** sns-indexer URL: node list from its /v1/nodes instead of SEED_NODES. */
    INDEXER_URL: z.url().optional(),
    NODE_SCHEME: z.enum(["http", "https"]).default("https"),
    NODES_PER_ACCOUNT: z.coerce.number().int().min(1).max(10).default(2),
    /** "log" (print notifications) or "fcm" (FCM HTTP v1). */
    FIREBASE_NOTIFIER: z.enum(["log", "fcm", "off"]).default("log"),
    FCM_ENDPOINT: z.url().default("https://fcm.googleapis.com"),
    FCM_PROJECT_ID: z.string().optional(),
    /** OAuth2 access token for FCM (minted outside this server). */
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
  })
  .superRefine((v, ctx) => {
    if (v.SEED_NODES.length === 0 && !v.INDEXER_URL)
      ctx.addIssue({
        code: "custom",
        path: ["SEED_NODES"],
        message: "SEED_NODES (comma-separated storage node URLs) or INDEXER_URL is required",
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
    if (v.FIREBASE_NOTIFIER === "fcm" && (!v.FCM_PROJECT_ID || !v.FCM_ACCESS_TOKEN))
      ctx.addIssue({
        code: "custom",
        path: ["FCM_PROJECT_ID"],
        message: "FCM_PROJECT_ID and FCM_ACCESS_TOKEN are required with FIREBASE_NOTIFIER=fcm",
      });
  });
export type PushEnv = z.output<typeof envSchema>;

export function configFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  onInvalid: "exit" | "throw" = "exit",
): PushEnv {
  return loadConfig(envSchema, { env, name: "push server", onInvalid });
}
