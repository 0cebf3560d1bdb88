import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { toHex } from "@session/crypto";
import { createLogger, loadConfig, loadServerKeys, serveService } from "@session/service-kit";
import { databaseUrl, envSchema, joinUrl } from "./config.ts";
import { openDb } from "./db/sql.ts";
import { DEFAULT_LIMITS } from "./domain/context.ts";
import { createRoom, roomByToken } from "./domain/rooms.ts";
import { createCommunityServer } from "./server.ts";

const env = loadConfig(envSchema, { name: "community server", argv: process.argv.slice(2) });
const logger = createLogger({ name: "community-server", level: env.LOG_LEVEL });
await mkdir(env.CS_DATA_DIR, { recursive: true });
const keys = await loadServerKeys(join(env.CS_DATA_DIR, "x25519.key"), env.CS_X25519_SECRET_KEY);
const db = await openDb(databaseUrl(env), env.DATABASE_SCHEMA ? { schema: env.DATABASE_SCHEMA } : {});
const community = createCommunityServer({
  db,
  keys,
  now: () => Date.now(),
  logger,
  limits: { ...DEFAULT_LIMITS, maxFileBytes: env.CS_MAX_FILE_SIZE, requireBlinded: env.CS_REQUIRE_BLINDED },
  rateLimits: {
    userRequestsPerMinute: env.CS_RATE_USER_REQUESTS_PER_MINUTE,
    userPostsPerMinute: env.CS_RATE_USER_POSTS_PER_MINUTE,
    roomPostsPerMinute: env.CS_RATE_ROOM_POSTS_PER_MINUTE,
    userDmsPerMinute: env.CS_RATE_USER_DMS_PER_MINUTE,
    anonymousRequestsPerMinute: env.CS_RATE_ANONYMOUS_REQUESTS_PER_MINUTE,
    nodeRequestsPerMinute: env.CS_RATE_NODE_REQUESTS_PER_MINUTE,
  },
  directClientRoutes: env.CS_DIRECT_CLIENT_ROUTES,
});
if (env.CS_DEFAULT_ROOM && !(await roomByToken(db, env.CS_DEFAULT_ROOM))) {
  await createRoom(community.deps, { token: env.CS_DEFAULT_ROOM, name: env.CS_DEFAULT_ROOM });
}

const server = await serveService(community.app, logger, {
  port: env.CS_PORT,
  hostname: env.CS_HOST,
  sweep: { run: () => community.sweep(), intervalMs: env.CS_SWEEP_INTERVAL_SECONDS * 1000 },
  onClose: () => db.close(),
});
const publicKey = toHex(keys.publicKey);
logger.info(
  {
    url: server.url,
    x25519PublicKey: publicKey,
    directClientRoutes: env.CS_DIRECT_CLIENT_ROUTES,
    ...(env.CS_DEFAULT_ROOM
      ? { joinUrl: joinUrl(env.CS_PUBLIC_URL ?? server.url, env.CS_DEFAULT_ROOM, publicKey) }
      : {}),
  },
  "community server listening",
);
