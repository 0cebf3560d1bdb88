// The indexer's disk fills up, for real: its SQLite database lives on a size-limited tmpfs (root
// can mount one) that the test fills with a file. Indexing must pause with a clear condition in
// /health and /metrics, logged once, reads keep being served, and indexing resumes by itself
// when space returns, with nothing lost or doubled. Without root (or mount), the suite is skipped
// locally and fails under CI=true.
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createLogger } from "@session/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningIndexer, startIndexer } from "../src/index.ts";
import { chainFixture, type Fixture } from "./chain-fixture.ts";
import { chainEventKeys, health, indexedEventKeys, metric, servedNodes } from "./helpers.ts";

const mountPoint = mkdtempSync(join(tmpdir(), "sns-small-disk-"));
let mountError: string | undefined;
try {
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint], { stdio: "pipe" });
} catch (err) {
  mountError = String((err as { stderr?: Buffer }).stderr ?? err);
}
const inCi = process.env.CI === "true";

const lines: string[] = [];
const logger = createLogger({
  name: "sns-indexer-test",
  level: "info",
  destination: new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  }),
});
const logged = (msg: string) =>
  lines.filter((l) => (JSON.parse(l) as { msg: string }).msg.startsWith(msg)).length;

/** Writes `path` until the filesystem refuses (ENOSPC). */
function fillDisk(path: string): void {
  const fd = openSync(path, "w");
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(mountError !== undefined && !inCi)("indexer on a full disk (tmpfs)", () => {
  let f: Fixture;
  let indexer: RunningIndexer;

  beforeAll(async () => {
    if (mountError) throw new Error(`cannot mount a size-limited tmpfs (needs root): ${mountError}`);
    f = await chainFixture();
    await f.registerNode({ operatorIndex: 1 });
    indexer = await startIndexer(
      {
        rpcUrl: "http://unused",
        addresses: { registry: f.deployment.serviceNodeRegistry, names: f.deployment.sessionNameService },
        startBlock: f.deployment.deploymentBlock,
        databaseUrl: `sqlite:${join(mountPoint, "indexer.sqlite")}`,
        confirmations: 0,
        batchSize: 8,
        reorgDepth: 16,
        pollMs: 50,
        host: "127.0.0.1",
        port: 0,
        logLevel: "info",
      },
      { eip1193: f.chain.eip1193, logger },
    );
  }, 120_000);

  afterAll(async () => {
    await indexer?.stop();
    await f?.close();
    if (!mountError) execFileSync("umount", [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it("pauses indexing with disk_full in /health and /metrics, keeps serving, resumes when space returns", async () => {
    const before = await servedNodes(indexer.url);
    const filler = join(mountPoint, "filler");
    fillDisk(filler);
    const key = await f.registerNode({ operatorIndex: 1 });
    await expect
      .poll(async () => (await health(indexer.url)).conditions.disk_full.active, {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(true);
    expect(await metric(indexer.url, "sns_indexer_disk_full")).toBe(1);
    const h = await health(indexer.url);
    expect(h.status).toBe("degraded");
    expect(h.conditions.disk_full.since).not.toBeNull();
    // Reads are served from what was indexed; the new node waits.
    expect(await servedNodes(indexer.url)).toEqual(before);
    expect(await indexedEventKeys(indexer.url)).toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
    expect(indexer.follower.lagBlocks).toBeGreaterThan(0);
    // Space returns: indexing resumes by itself, nothing lost, nothing doubled.
    rmSync(filler);
    await expect.poll(() => servedNodes(indexer.url), { timeout: 30_000, interval: 50 }).toContain(key);
    expect(await metric(indexer.url, "sns_indexer_disk_full")).toBe(0);
    expect(await indexedEventKeys(indexer.url)).toEqual(await chainEventKeys(f, indexer.follower.indexedTo));
    expect(logged("disk full")).toBe(1);
    expect(logged("disk space available again")).toBe(1);
  }, 90_000);
});
