// The service: app factory, configuration, server keys

export { loadServerKeys } from "@session/service-kit";
export { databaseUrl, type Env, envSchema } from "./config.ts";
export {
  type AppDeps,
  createApp,
  createFileServer,
  DEFAULT_RATE_LIMITS,
  type FileServer,
  type RateLimits,
} from "./server.ts";

// Files: records, ids, expiry

export { type FileRecord, type FileRepo, openFileRepo, PgFileRepo, SqliteFileRepo } from "./db/repo.ts";
export { type FileDeps, type FileLimits, sweepExpired } from "./domain/files.ts";
export { FILE_ID_PATTERN, newFileId } from "./ids.ts";

// Blob storage: disk, S3, upload staging

export type { BlobStore, BlobStream } from "./storage/blob-store.ts";
export { DiskBlobStore } from "./storage/disk.ts";
export { S3BlobStore, type S3Options } from "./storage/s3.ts";
export { resetStagingDir, stageUpload } from "./storage/staging.ts";
