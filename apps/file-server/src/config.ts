import { join } from "node:path";
import { MAX_ATTACHMENT_UPLOAD_BYTES } from "@session/crypto";
import {
  checkConnectionLimitsEnv,
  connectionLimitsEnv,
  databaseEnv,
  envFlag,
  logLevelEnv,
} from "@session/service-kit";
import { z } from "zod";

const DAY = 86_400;
const hex32 = z.string().regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters (32 bytes)");
const positiveInt = z.coerce.number().int().positive();

/** Environment variables of the file server; README.md documents each one. */
export const envSchema = z
  .object({
    FS_HOST: z.string().default("127.0.0.1"),
    FS_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    FS_DATA_DIR: z.string().default("./data"),
    FS_X25519_SECRET_KEY: hex32.optional(),
    // The upload limit clients pad and check against (@session/crypto MAX_ATTACHMENT_SIZE fits it).
    FS_MAX_FILE_SIZE: positiveInt.default(MAX_ATTACHMENT_UPLOAD_BYTES),
    FS_DEFAULT_TTL_SECONDS: positiveInt.default(14 * DAY),
    FS_MAX_TTL_SECONDS: positiveInt.default(14 * DAY),
    FS_DIRECT_CLIENT_ROUTES: envFlag.default(false),
    FS_SWEEP_INTERVAL_SECONDS: positiveInt.default(60),
    FS_RATE_REQUESTS_PER_MINUTE: positiveInt.default(6000),
    FS_RATE_NODE_REQUESTS_PER_MINUTE: positiveInt.default(1200),
    FS_RATE_UPLOAD_BYTES_PER_MINUTE: positiveInt.default(2_000_000_000),
    FS_SESSION_VERSIONS: z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined) return undefined;
        const parsed = z
          .partialRecord(z.enum(["desktop", "android", "ios"]), z.string())
          .safeParse(safeJson(s));
        if (parsed.success) return parsed.data;
        ctx.addIssue({ code: "custom", message: 'expected JSON like {"desktop":"1.2.3"}' });
        return z.NEVER;
      }),
    ...databaseEnv,
    FS_STORAGE: z.enum(["disk", "s3"]).default("disk"),
    S3_ENDPOINT: z.url().optional(),
    S3_REGION: z.string().default("us-east-1"),
    S3_BUCKET: z.string().optional(),
    S3_PREFIX: z.string().default(""),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    ...logLevelEnv,
    // A whole upload (10 MB) may take up to 2 minutes to arrive.
    ...connectionLimitsEnv({ requestTimeoutMs: 120_000 }),
  })
  .superRefine((env, ctx) => {
    checkConnectionLimitsEnv(env, ctx);
    if (env.FS_STORAGE === "s3") {
      for (const k of ["S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const) {
        if (!env[k]) ctx.addIssue({ code: "custom", path: [k], message: "required when FS_STORAGE=s3" });
      }
    }
    if (env.FS_DEFAULT_TTL_SECONDS > env.FS_MAX_TTL_SECONDS) {
      ctx.addIssue({
        code: "custom",
        path: ["FS_DEFAULT_TTL_SECONDS"],
        message: "must not exceed FS_MAX_TTL_SECONDS",
      });
    }
  });

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

export type Env = z.output<typeof envSchema>;

/** sqlite:<data dir>/files.db unless DATABASE_URL says otherwise. */
export function databaseUrl(env: Env): string {
  return env.DATABASE_URL ?? `sqlite:${join(env.FS_DATA_DIR, "files.db")}`;
}
