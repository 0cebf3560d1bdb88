import { join } from "node:path";
import { toHex } from "@session/crypto";
import {
  connectionLimitsFromEnv,
  createLogger,
  loadConfig,
  loadServerKeys,
  serveService,
} from "@session/service-kit";
import { databaseUrl, envSchema } from "./config.ts";
import { openFileRepo } from "./db/repo.ts";
import { createFileServer } from "./server.ts";
import type { BlobStore } from "./storage/blob-store.ts";
import { DiskBlobStore } from "./storage/disk.ts";
import { S3BlobStore } from "./storage/s3.ts";
import { resetStagingDir } from "./storage/staging.ts";

const env = loadConfig(envSchema, { name: "file server", argv: process.argv.slice(2) });
const logger = createLogger({ name: "file-server", level: env.LOG_LEVEL });

const tmpDir = join(env.FS_DATA_DIR, "tmp");
const leftovers = await resetStagingDir(tmpDir);
if (leftovers > 0) logger.warn({ leftovers }, "removed partial uploads left by a previous run");

const keys = await loadServerKeys(join(env.FS_DATA_DIR, "x25519.key"), env.FS_X25519_SECRET_KEY);
const repo = await openFileRepo(databaseUrl(env), env.DATABASE_SCHEMA ? { schema: env.DATABASE_SCHEMA } : {});
const blobs: BlobStore =
  env.FS_STORAGE === "s3"
    ? new S3BlobStore({
        endpoint: env.S3_ENDPOINT!,
        region: env.S3_REGION,
        bucket: env.S3_BUCKET!,
        prefix: env.S3_PREFIX,
        accessKeyId: env.S3_ACCESS_KEY_ID!,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
      })
    : new DiskBlobStore(join(env.FS_DATA_DIR, "blobs"));

const now = () => Date.now();
const fileServer = createFileServer({
  repo,
  blobs,
  tmpDir,
  keys,
  now,
  logger,
  limits: {
    maxFileBytes: env.FS_MAX_FILE_SIZE,
    defaultTtlSeconds: env.FS_DEFAULT_TTL_SECONDS,
    maxTtlSeconds: env.FS_MAX_TTL_SECONDS,
  },
  directClientRoutes: env.FS_DIRECT_CLIENT_ROUTES,
  rateLimits: {
    requestsPerMinute: env.FS_RATE_REQUESTS_PER_MINUTE,
    nodeRequestsPerMinute: env.FS_RATE_NODE_REQUESTS_PER_MINUTE,
    uploadBytesPerMinute: env.FS_RATE_UPLOAD_BYTES_PER_MINUTE,
  },
  ...(env.FS_SESSION_VERSIONS ? { sessionVersions: env.FS_SESSION_VERSIONS } : {}),
});

const server = await serveService(fileServer.app, logger, {
  port: env.FS_PORT,
  hostname: env.FS_HOST,
  connections: connectionLimitsFromEnv(env),
  sweep: {
    run: async () => {
      const removed = await fileServer.sweep();
      if (removed > 0) logger.info({ removed }, "expired files deleted");
    },
    intervalMs: env.FS_SWEEP_INTERVAL_SECONDS * 1000,
  },
  onClose: () => repo.close(),
});
logger.info(
  {
    url: server.url,
    x25519PublicKey: toHex(keys.publicKey),
    storage: blobs.kind,
    directClientRoutes: env.FS_DIRECT_CLIENT_ROUTES,
  },
  "file server listening",
);
