import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Devnet, type DevnetOptions, startDevnet } from "@session/devnet";
import { afterAll, beforeAll } from "vitest";
import type { SessionClient } from "../src/index.ts";
import { type CliResult, runSession } from "./session-cli.ts";

/** A devnet shared by one test file's tests, with the CLI pointed at it. */
export interface SuiteDevnet {
  /** The file's temp directory (the devnet keeps its data under `net/`). */
  readonly dir: string;
  /** The running devnet (from the file's first test on). */
  readonly devnet: Devnet;
  /** Clients the tests opened: closed before the devnet stops. */
  readonly clients: SessionClient[];
  /** The real `session` CLI with `--data-dir dataDir --network <seed>` (or `network`). */
  session(args: string[], dataDir: string, network?: string): Promise<CliResult>;
  /** `session id new` in `dataDir`: the Session ID it printed. */
  newSessionId(dataDir: string): Promise<string>;
}

/**
 * Starts a devnet before the file's tests (under a temp directory named after `name`) and stops
 * it after them, removing the directory. Call at the top level of a test file.
 */
export function devnetForSuite(name: string, options: Omit<DevnetOptions, "dataDir">): SuiteDevnet {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const clients: SessionClient[] = [];
  let devnet: Devnet | undefined;
  beforeAll(async () => {
    devnet = await startDevnet({ ...options, dataDir: join(dir, "net") });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await devnet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const suite: SuiteDevnet = {
    dir,
    get devnet() {
      if (!devnet) throw new Error("the devnet starts in beforeAll");
      return devnet;
    },
    clients,
    session: (args, dataDir, network = suite.devnet.seed) =>
      runSession([...args, "--data-dir", dataDir, "--network", network]),
    async newSessionId(dataDir) {
      const r = await suite.session(["id", "new"], dataDir);
      const id = /Session ID:\s+(05[0-9a-f]{64})/.exec(r.stdout)?.[1];
      if (!id) throw new Error(`id new printed no Session ID (exit ${r.code}): ${r.stdout}${r.stderr}`);
      return id;
    },
  };
  return suite;
}
