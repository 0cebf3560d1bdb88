import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type Devnet, type DevnetOptions, startDevnet } from "./devnet.ts";

export interface TestDevnet {
  /** The running devnet; read it in tests and hooks, not while the file is collected. */
  readonly devnet: Devnet;
  /** The suite's temp directory (the devnet's data is in `net` below it). */
  readonly dir: string;
}

/**
 * Starts a devnet before the suite's tests, under a temp directory named after `name`, and stops
 * it after them, removing the directory. Call it before the suite's own hooks: its after-hook then
 * runs after theirs (vitest runs after-hooks as a stack), once the clients they close are gone.
 */
export function devnetForTests(name: string, options: Omit<DevnetOptions, "dataDir">): TestDevnet {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  let devnet: Devnet | undefined;
  beforeAll(async () => {
    devnet = await startDevnet({ ...options, dataDir: join(dir, "net") });
  }, 180_000);
  afterAll(async () => {
    await devnet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    get devnet() {
      if (!devnet) throw new Error("the devnet starts in beforeAll");
      return devnet;
    },
  };
}
