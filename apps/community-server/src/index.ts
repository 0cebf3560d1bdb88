// Server

export { loadServerKeys } from "@session/service-kit";
export { runAdmin } from "./admin-cli.ts";
// Request signing
export { decodeHexOrBase64, parseAuthHeaders, signedMessage, signedPathOf } from "./auth/signature.ts";
export { databaseUrl, type Env, envSchema, joinUrl } from "./config.ts";
// Database and domain (the admin CLI and tests use them directly)
export { type Db, openDb, openPostgres, openSqlite } from "./db/sql.ts";
export { type CommunityLimits, DEFAULT_LIMITS, type DomainDeps } from "./domain/context.ts";
export { createRoom, roomByToken } from "./domain/rooms.ts";
export {
  type AppDeps,
  type CommunityServer,
  capabilities,
  createApp,
  createCommunityServer,
  DEFAULT_RATE_LIMITS,
  type RateLimits,
} from "./server.ts";
