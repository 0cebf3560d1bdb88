import { ProtocolError } from "@session/protocol";
import type { Logger } from "pino";
import type { FileRecord, FileRepo } from "../db/repo.ts";
import { newFileId } from "../ids.ts";
import type { BlobStore, BlobStream } from "../storage/blob-store.ts";
import { stageUpload } from "../storage/staging.ts";

export interface FileLimits {
  maxFileBytes: number;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

/** What the domain functions need; all injected so tests control time and storage. */
export interface FileDeps {
  repo: FileRepo;
  blobs: BlobStore;
  /** Staging directory (same filesystem as disk blobs). */
  tmpDir: string;
  /** Unix milliseconds. */
  now: () => number;
  limits: FileLimits;
  logger: Logger;
  /** Called with the staged size before commit; throws (e.g. RATE_LIMITED) to refuse. */
  admitUpload?: (bytes: number) => void;
  /** Observers for metrics. */
  onStored?: (record: FileRecord) => void;
  onOpened?: (record: FileRecord) => void;
}

/** Clamps a requested TTL (X-FS-TTL, seconds) to (0, max]; absent means the default. */
export function resolveTtlSeconds(requested: string | undefined, limits: FileLimits): number {
  if (requested === undefined || requested === "") return limits.defaultTtlSeconds;
  if (!/^\d{1,12}(\.\d+)?$/.test(requested)) {
    throw new ProtocolError("INVALID_TTL", "X-FS-TTL must be a positive number of seconds");
  }
  const ttl = Number(requested);
  if (!(ttl > 0)) throw new ProtocolError("INVALID_TTL", "X-FS-TTL must be a positive number of seconds");
  return Math.min(ttl, limits.maxTtlSeconds);
}

export async function uploadFile(
  deps: FileDeps,
  body: ReadableStream<Uint8Array> | null,
  options: { ttlSeconds: number; filename: string | null },
): Promise<FileRecord> {
  const staged = await stageUpload(body, { dir: deps.tmpDir, maxBytes: deps.limits.maxFileBytes });
  const id = newFileId();
  try {
    if (staged.size === 0) throw new ProtocolError("BAD_REQUEST", "empty upload");
    deps.admitUpload?.(staged.size);
    // Blob first, row second: a crash in between leaves an unreferenced blob that nobody can
    // reach, never a row pointing at missing bytes.
    await deps.blobs.commit(id, staged);
  } catch (err) {
    await staged.discard();
    throw err;
  }
  const now = deps.now();
  const record: FileRecord = {
    id,
    size: staged.size,
    uploadedMs: now,
    expiresMs: now + Math.round(options.ttlSeconds * 1000),
    filename: options.filename,
  };
  try {
    await deps.repo.insert(record);
  } catch (err) {
    // No blob without metadata: the row was not written (disk full, connection lost), so its
    // bytes go too, before the client hears of the failure.
    await deps.blobs.delete(id).catch((deleteErr: unknown) => {
      deps.logger.error({ err: deleteErr, fileId: id }, "could not remove the blob of a failed upload");
    });
    throw err;
  }
  deps.onStored?.(record);
  return record;
}

async function liveRecord(deps: FileDeps, id: string): Promise<FileRecord> {
  const record = await deps.repo.getLive(id, deps.now());
  if (!record) throw new ProtocolError("NOT_FOUND", "file not found or expired");
  return record;
}

export async function fileInfo(deps: FileDeps, id: string): Promise<FileRecord> {
  return liveRecord(deps, id);
}

export async function openFile(
  deps: FileDeps,
  id: string,
): Promise<{ record: FileRecord; blob: BlobStream }> {
  const record = await liveRecord(deps, id);
  const blob = await deps.blobs.open(id);
  if (!blob) {
    deps.logger.warn({ fileId: id }, "metadata row without blob");
    throw new ProtocolError("NOT_FOUND", "file not found or expired");
  }
  deps.onOpened?.(record);
  return { record, blob };
}

/** Pushes a live file's expiry to now + ttl (never shortens it). */
export async function extendFile(deps: FileDeps, id: string, ttlSeconds: number): Promise<FileRecord> {
  const now = deps.now();
  const current = await liveRecord(deps, id);
  const expiresMs = Math.max(current.expiresMs, now + Math.round(ttlSeconds * 1000));
  const updated = await deps.repo.setExpiry(id, expiresMs, now);
  if (!updated) throw new ProtocolError("NOT_FOUND", "file not found or expired");
  return updated;
}

/** Deletes every file expired at the injected clock's now; returns how many went. */
export async function sweepExpired(deps: Pick<FileDeps, "repo" | "blobs" | "now" | "logger">, batch = 500) {
  const now = deps.now();
  let removed = 0;
  for (;;) {
    const ids = await deps.repo.expiredIds(now, batch);
    if (ids.length === 0) break;
    for (const id of ids) {
      // Row first so the file is unreachable before its bytes go.
      if (await deps.repo.deleteExpired(id, now)) {
        await deps.blobs.delete(id).catch((err: unknown) => deps.logger.warn({ err }, "blob delete failed"));
        removed++;
      }
    }
    if (ids.length < batch) break;
  }
  return removed;
}
