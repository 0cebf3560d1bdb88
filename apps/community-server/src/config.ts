import { join } from "node:path";
import { databaseEnv, envFlag, logLevelEnv } from "@session/service-kit";
import { z } from "zod";

const positiveInt = z.coerce.number().int().positive();

/** Environment variables (or --flags) of the community server; README.md documents each one. */
export const envSchema = z.object({
  CS_HOST: z.string().default("127.0.0.1"),
  CS_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  CS_DATA_DIR: z.string().default("./data"),
  CS_X25519_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters")
    .optional(),
  CS_DIRECT_CLIENT_ROUTES: envFlag.default(false),
  CS_REQUIRE_BLINDED: envFlag.default(true),
  CS_MAX_FILE_SIZE: positiveInt.default(10_000_000),
  CS_SWEEP_INTERVAL_SECONDS: positiveInt.default(60),
  CS_RATE_USER_REQUESTS_PER_MINUTE: positiveInt.default(600),
  CS_RATE_USER_POSTS_PER_MINUTE: positiveInt.default(20),
  CS_RATE_ROOM_POSTS_PER_MINUTE: positiveInt.default(600),
  CS_RATE_USER_DMS_PER_MINUTE: positiveInt.default(30),
  CS_RATE_ANONYMOUS_REQUESTS_PER_MINUTE: positiveInt.default(6000),
  CS_RATE_NODE_REQUESTS_PER_MINUTE: positiveInt.default(6000),
  /** Create this room (token) on start if missing: the devnet's one open room. */
  CS_DEFAULT_ROOM: z
    .string()
    .regex(/^[\w-]{1,64}$/)
    .optional(),
  /** Public URL clients use (for the printed join link). */
  CS_PUBLIC_URL: z.url().optional(),
  ...databaseEnv,
  ...logLevelEnv,
});

export type Env = z.output<typeof envSchema>;

export function databaseUrl(env: Pick<Env, "DATABASE_URL" | "CS_DATA_DIR">): string {
  return env.DATABASE_URL ?? `sqlite:${join(env.CS_DATA_DIR, "community.db")}`;
}

/** Session's community link: `https://host/room?public_key=<hex>`. */
export function joinUrl(baseUrl: string, room: string, serverPk: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${room}?public_key=${serverPk}`;
}
