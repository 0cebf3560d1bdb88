import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/**
 * A fresh directory of the suite's own under the OS temp dir (`<prefix>XXXXXX`): made before the
 * suite's own before-hooks, removed with all in it after its own after-hooks (vitest runs those
 * as a stack), so the services they stop have let go of it. Call it before the suite's hooks.
 */
export function suiteTempDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (!dir) throw new Error("suiteTempDir: read before the suite's beforeAll hooks ran");
    return dir;
  };
}
