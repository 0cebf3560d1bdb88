import { ProtocolError } from "@session/protocol";
import {
  createMetrics,
  errorResponse,
  FaultMonitor,
  faultError,
  isOnionRequest,
  limitBody,
  monitoredStore,
  notFoundHandler,
  onErrorHandler,
  onionV4Handler,
  rateLimit,
  requestLogger,
  TokenBuckets,
  type X25519Keys,
} from "@session/service-kit";
import { Hono, type MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { Counter } from "prom-client";
import { type FileRepo, REPO_OPERATIONS } from "./db/repo.ts";
import { type FileDeps, type FileLimits, sweepExpired } from "./domain/files.ts";
import { registerFileRoutes } from "./routes/files.ts";
import { registerVersionRoutes, type SessionVersions } from "./routes/version.ts";
import type { BlobStore } from "./storage/blob-store.ts";

export interface RateLimits {
  /** Requests per minute allowed on each client route, all callers together. */
  requestsPerMinute: number;
  /** Onion requests per minute from one forwarding node (its socket address). */
  nodeRequestsPerMinute: number;
  /** Upload bytes per minute, all callers together. */
  uploadBytesPerMinute: number;
}

export interface AppDeps {
  repo: FileRepo;
  blobs: BlobStore;
  tmpDir: string;
  keys: X25519Keys;
  /** Unix milliseconds. */
  now: () => number;
  logger: Logger;
  limits: FileLimits;
  /** Serve /file… over plain HTTP too. Off in production: clients must come through onion requests. */
  directClientRoutes: boolean;
  rateLimits: RateLimits;
  sessionVersions?: SessionVersions;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  requestsPerMinute: 6000,
  nodeRequestsPerMinute: 1200,
  uploadBytesPerMinute: 2_000_000_000,
};

/** Room for the onion layer's framing, ciphertext overhead and v4 metadata around a max-size file. */
const ONION_OVERHEAD_BYTES = 64 * 1024;

function perMinute(count: number, now: () => number) {
  return new TokenBuckets({ capacity: count, refillPerSecond: count / 60, now });
}

export interface FileServer {
  app: Hono;
  /** Disk-full and database-loss conditions (also in /health and /metrics). */
  faults: FaultMonitor;
  /** Deletes expired files now (main calls it on a timer); counted in fileserver_files_swept_total. */
  sweep(): Promise<number>;
}

/** The Hono app for these deps (see createFileServer for the app plus its sweep). */
export function createApp(deps: AppDeps): Hono {
  return createFileServer(deps).app;
}

export function createFileServer(deps: AppDeps): FileServer {
  const app = new Hono();
  const metrics = createMetrics({ prefix: "fileserver_" });
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [metrics.registry] });
  const uploads = counter("fileserver_uploads_total", "Files stored");
  const uploadBytes = counter("fileserver_upload_bytes_total", "Bytes of files stored");
  const downloads = counter("fileserver_downloads_total", "File downloads started");
  const swept = counter("fileserver_files_swept_total", "Expired files deleted by the sweep");
  const routeBuckets = perMinute(deps.rateLimits.requestsPerMinute, deps.now);
  const nodeBuckets = perMinute(deps.rateLimits.nodeRequestsPerMinute, deps.now);
  const uploadBudget = perMinute(deps.rateLimits.uploadBytesPerMinute, deps.now);
  const faults = new FaultMonitor({ logger: deps.logger, registry: metrics.registry, prefix: "fileserver_" });
  // Every metadata operation reports to `faults`; reads that lost their connection are retried once.
  // PostgreSQL deletes without new space: there a deletion does not clear a full disk.
  const repo = monitoredStore(deps.repo, faults, REPO_OPERATIONS, {
    deletesNeedSpace: deps.repo.deletesNeedSpace,
  });

  app.use(metrics.middleware);
  app.use(requestLogger(deps.logger));
  // No route reads more than the largest onion request; routes set tighter limits.
  app.use(limitBody(deps.limits.maxFileBytes + ONION_OVERHEAD_BYTES, { mode: "stream" }));
  app.onError(onErrorHandler(deps.logger, { faults }));
  app.notFound(notFoundHandler);

  // Runs first on every client route: the direct-access policy, then the per-route budget.
  const guard =
    (name: string): MiddlewareHandler =>
    async (c, next) => {
      if (!deps.directClientRoutes && !isOnionRequest(c)) {
        return errorResponse(
          c,
          "FORBIDDEN",
          "direct access is disabled: send this request as an onion request",
        );
      }
      if (!routeBuckets.take(name)) return errorResponse(c, "RATE_LIMITED");
      await next();
    };

  const fileDeps: FileDeps = {
    ...deps,
    repo,
    admitUpload: (bytes: number) => {
      if (!uploadBudget.take("upload", bytes)) {
        throw new ProtocolError("RATE_LIMITED", "upload volume limit reached");
      }
    },
    onStored: (record) => {
      uploads.inc();
      uploadBytes.inc(record.size);
    },
    onOpened: () => downloads.inc(),
  };
  registerFileRoutes(app, fileDeps, guard);
  registerVersionRoutes(app, deps.sessionVersions, deps.now(), guard);

  app.post(
    "/oxen/v4/lsrpc",
    rateLimit(nodeBuckets, (c) => {
      // The peer of an onion request is the storage node that forwarded it, not the client.
      const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
      return env?.incoming?.socket?.remoteAddress ?? "unknown";
    }),
    onionV4Handler({
      x25519Keys: deps.keys,
      app,
      maxBodyBytes: deps.limits.maxFileBytes + ONION_OVERHEAD_BYTES,
      logger: deps.logger,
    }),
  );

  // 200 while the service answers (a full disk still serves downloads), with the conditions that
  // degrade it; 503 while its database is unreachable.
  app.get("/health", async (c) => {
    try {
      await repo.getLive("health-check", deps.now());
    } catch (err) {
      if (!faultError(err)) throw err;
    }
    const { status, conditions } = faults.health();
    const body = { status, storage: deps.blobs.kind, ...(status === "ok" ? {} : { conditions }) };
    return c.json(body, faults.has("database_unavailable") ? 503 : 200);
  });
  app.get("/metrics", metrics.handler);

  const sweep = async () => {
    const removed = await sweepExpired({ ...deps, repo });
    swept.inc(removed);
    return removed;
  };
  return { app, faults, sweep };
}
