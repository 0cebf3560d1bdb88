import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLogger,
  loadServerKeys,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from "@session/service-kit";
import { type ManualClock, manualClock } from "@session/service-kit/testing";
import { type FileRepo, SqliteFileRepo } from "../src/db/repo.ts";
import type { FileLimits } from "../src/domain/files.ts";
import {
  type AppDeps,
  createFileServer,
  DEFAULT_RATE_LIMITS,
  type FileServer,
  type RateLimits,
} from "../src/server.ts";
import type { BlobStore } from "../src/storage/blob-store.ts";
import { DiskBlobStore } from "../src/storage/disk.ts";

export interface Harness {
  url: string;
  server: RunningServer;
  deps: AppDeps;
  dataDir: string;
  tmpDir: string;
  blobDir: string;
  clock: ManualClock;
  faults: FileServer["faults"];
  /** The server's own sweep (counts into its metrics). */
  sweep(): Promise<number>;
  /** Files anywhere under dir (recursive). */
  filesIn(dir: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  limits?: Partial<FileLimits>;
  rateLimits?: Partial<RateLimits>;
  directClientRoutes?: boolean;
  repo?: FileRepo;
  blobs?: BlobStore;
  sessionVersions?: AppDeps["sessionVersions"];
  logger?: AppDeps["logger"];
  connections?: StartServerOptions["connections"];
  /** Where the temp data directory is made (e.g. on a small tmpfs); the OS temp dir by default. */
  parentDir?: string;
}

/** createApp over a temp SQLite file and temp directories, served on a port-0 loopback server. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(options.parentDir ?? tmpdir(), "fs-test-"));
  const tmpDir = join(dataDir, "tmp");
  const blobDir = join(dataDir, "blobs");
  await mkdir(tmpDir, { recursive: true });
  const clock = manualClock();
  const repo = options.repo ?? SqliteFileRepo.open(join(dataDir, "files.db"));
  const deps: AppDeps = {
    repo,
    blobs: options.blobs ?? new DiskBlobStore(blobDir),
    tmpDir,
    keys: await loadServerKeys(join(dataDir, "x25519.key")),
    now: clock.now,
    logger: options.logger ?? createLogger({ name: "file-server-test", level: "silent" }),
    limits: {
      maxFileBytes: 10_000_000,
      defaultTtlSeconds: 14 * 86_400,
      maxTtlSeconds: 30 * 86_400,
      ...options.limits,
    },
    directClientRoutes: options.directClientRoutes ?? true,
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...options.rateLimits },
    ...(options.sessionVersions ? { sessionVersions: options.sessionVersions } : {}),
  };
  const fileServer = createFileServer(deps);
  const server = await startServer(fileServer.app, {
    port: 0,
    graceMs: 1000,
    ...(options.connections ? { connections: options.connections } : {}),
  });
  const filesIn = async (dir: string): Promise<string[]> => {
    try {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  };
  return {
    url: server.url,
    server,
    deps,
    dataDir,
    tmpDir,
    blobDir,
    clock,
    faults: fileServer.faults,
    sweep: fileServer.sweep,
    filesIn,
    close: async () => {
      await server.close();
      await repo.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns true or the deadline passes (for effects after a socket dies). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** Response JSON for assertions (tests check the shape themselves). */
// biome-ignore lint/suspicious/noExplicitAny: test assertions inspect arbitrary JSON
export const json = (res: Response): Promise<any> => res.json();
