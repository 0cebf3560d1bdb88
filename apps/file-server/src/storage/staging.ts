import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ProtocolError } from "@session/protocol";
import { chunksWithin } from "@session/service-kit";

const WRITE_BATCH_BYTES = 1 << 20;

/** An upload written completely to a private temp file, not yet visible to anyone. */
export interface StagedUpload {
  path: string;
  size: number;
  /** Hex SHA-256 of the bytes (S3 signs the payload with it). */
  sha256: string;
  /** Removes the temp file; safe to call twice. */
  discard(): Promise<void>;
}

/**
 * Streams a request body into `dir` without holding it in memory, enforcing `maxBytes` as the
 * bytes arrive. On any failure (too large, client gone, disk error) the temp file is removed
 * before the error propagates, so an aborted upload leaves nothing behind.
 */
export async function stageUpload(
  body: ReadableStream<Uint8Array> | null,
  options: { dir: string; maxBytes: number },
): Promise<StagedUpload> {
  const path = join(options.dir, `${randomBytes(12).toString("hex")}.part`);
  const hash = createHash("sha256");
  const fh = await open(path, "wx", 0o600);
  let size = 0;
  let closed = false;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    let off = 0;
    while (off < chunk.byteLength) {
      const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
      off += bytesWritten;
    }
  };
  const discard = async () => {
    if (!closed) {
      closed = true;
      await fh.close().catch(() => {});
    }
    await unlink(path).catch(() => {});
  };
  try {
    if (body) {
      const tooLarge = () =>
        new ProtocolError("PAYLOAD_TOO_LARGE", `file exceeds the ${options.maxBytes}-byte limit`);
      // A failed write ends the loop early, which cancels the upload stream.
      for await (const value of chunksWithin(body, options.maxBytes, tooLarge)) {
        size += value.byteLength;
        hash.update(value);
        // Coalesce the stream's small chunks into large writes: far fewer syscalls.
        pending.push(value);
        pendingBytes += value.byteLength;
        if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
      }
      await flush();
    }
    // Durable before it can be renamed into place.
    await fh.sync();
    closed = true;
    await fh.close();
  } catch (err) {
    await discard();
    throw err;
  }
  return { path, size, sha256: hash.digest("hex"), discard };
}

/** Empties the staging directory; temp files found at start-up are from a crashed process. */
export async function resetStagingDir(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  await Promise.all(names.map((n) => rm(join(dir, n), { force: true, recursive: true })));
  return names.length;
}
