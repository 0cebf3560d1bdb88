import { createReadStream } from "node:fs";
import { mkdir, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { BlobStore, BlobStream } from "./blob-store.ts";
import type { StagedUpload } from "./staging.ts";

/**
 * Blobs as files under `<root>/<first two chars of key>/<key>`. The staging directory must be on
 * the same filesystem so `rename` is atomic.
 */
export class DiskBlobStore implements BlobStore {
  readonly kind = "disk";

  constructor(private readonly root: string) {}

  private pathOf(key: string) {
    return join(this.root, key.slice(0, 2), key);
  }

  async commit(key: string, staged: StagedUpload) {
    const dest = this.pathOf(key);
    await mkdir(join(this.root, key.slice(0, 2)), { recursive: true });
    await rename(staged.path, dest);
  }

  async open(key: string): Promise<BlobStream | undefined> {
    const path = this.pathOf(key);
    try {
      const { size } = await stat(path);
      const stream = Readable.toWeb(
        createReadStream(path, { highWaterMark: 1 << 20 }),
      ) as ReadableStream<Uint8Array>;
      return { size, stream };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async delete(key: string) {
    await unlink(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }
}
