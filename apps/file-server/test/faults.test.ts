import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  capturedLogs,
  describeOnPgSmallTablespace,
  describeOnSmallDisk,
  pgFaultSuite,
} from "@session/service-kit/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PgFileRepo, SqliteFileRepo } from "../src/db/repo.ts";
import { type Harness, json, startHarness } from "./harness.ts";

const upload = (h: Harness, body: Uint8Array) => fetch(`${h.url}/file`, { method: "POST", body });
const health = async (h: Harness) => {
  const res = await fetch(`${h.url}/health`);
  return { status: res.status, body: await json(res) };
};
const degradedGauge = async (h: Harness, condition: string) => {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return new RegExp(`^fileserver_degraded\\{condition="${condition}"\\} (\\d)`, "m").exec(text)?.[1];
};

/** While the disk is full, a stored file is still served and the server reports the condition. */
async function expectServingWhileFull(h: Harness, id: string, kept: Uint8Array) {
  const down = await fetch(`${h.url}/file/${id}`);
  expect(down.status).toBe(200);
  expect(Buffer.from(await down.arrayBuffer()).equals(kept)).toBe(true);
  expect(await health(h)).toEqual({
    status: 200,
    body: { status: "degraded", storage: "disk", conditions: ["disk_full"] },
  });
  expect(await degradedGauge(h, "disk_full")).toBe("1");
}

describeOnSmallDisk("disk full (a 4 MiB tmpfs that fills up)", 4 * 1024 * 1024, (disk) => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("refuses uploads with STORAGE_FULL, keeps serving downloads, logs once, reports it, recovers by itself", async () => {
    const log = capturedLogs("file-server-faults");
    h = await startHarness({ parentDir: disk().dir, logger: log.logger });
    const kept = randomBytes(50_000);
    const up = await upload(h, kept);
    expect(up.status).toBe(200);
    const { id } = await json(up);

    await disk().fill();
    for (let i = 0; i < 3; i++) {
      const refused = await upload(h, randomBytes(100_000));
      expect(refused.status).toBe(507);
      expect((await json(refused)).error.code).toBe("STORAGE_FULL");
    }
    // Nothing half-written: no staged part, no extra blob, no extra row.
    expect(await h.filesIn(h.tmpDir)).toEqual([]);
    expect(await h.filesIn(h.blobDir)).toHaveLength(1);
    expect(await h.deps.repo.count()).toBe(1);
    await expectServingWhileFull(h, id, kept);
    expect(log.lines.filter((l) => l.condition === "disk_full")).toHaveLength(1);
    expect(log.lines.filter((l) => l.msg === "request failed")).toHaveLength(0);

    await disk().free();
    const again = await upload(h, randomBytes(100_000));
    expect(again.status).toBe(200);
    expect(await health(h)).toEqual({ status: 200, body: { status: "ok", storage: "disk" } });
    expect(await degradedGauge(h, "disk_full")).toBe("0");
    expect(await h.deps.repo.count()).toBe(2);
  });

  it("refuses to extend a file's expiry with STORAGE_FULL and keeps the old one, then extends it", async () => {
    h = await startHarness({ parentDir: disk().dir });
    const { id, expires } = await json(await upload(h, randomBytes(1000)));
    h.clock.advance(86_400_000);
    await disk().fill();
    const refused = await fetch(`${h.url}/file/${id}/extend`, { method: "POST" });
    expect(refused.status).toBe(507);
    expect((await json(refused)).error.code).toBe("STORAGE_FULL");
    // What the client was told not to count on is not there either: the expiry is unchanged.
    expect((await json(await fetch(`${h.url}/file/${id}/info`))).expires).toBe(expires);

    await disk().free();
    const extended = await fetch(`${h.url}/file/${id}/extend`, { method: "POST" });
    expect(extended.status).toBe(200);
    const after = (await json(extended)).expires;
    expect(after).toBe(expires + 86_400);
    expect((await json(await fetch(`${h.url}/file/${id}/info`))).expires).toBe(after);
  });

  it("removes the written blob when the metadata insert fails on a full database disk", async () => {
    // Blobs and staging on the roomy OS temp dir, the SQLite metadata on the small disk().
    const repo = SqliteFileRepo.open(join(disk().dir, "files.db"));
    h = await startHarness({ repo });
    await disk().fill();
    const refused = await upload(h, randomBytes(200_000));
    expect(refused.status).toBe(507);
    expect((await json(refused)).error.code).toBe("STORAGE_FULL");
    expect(await h.filesIn(h.blobDir)).toEqual([]);
    expect(await h.filesIn(h.tmpDir)).toEqual([]);
    expect(await h.deps.repo.count()).toBe(0);

    await disk().free();
    const ok = await upload(h, randomBytes(200_000));
    expect(ok.status).toBe(200);
    expect(await h.filesIn(h.blobDir)).toHaveLength(1);
  });
});

await describeOnPgSmallTablespace(
  "disk full (PostgreSQL: the metadata tables in a tablespace on a 1 MiB tmpfs)",
  { sizeBytes: 1024 * 1024, schemaPrefix: "fs_disk_full" },
  (ts, { url, schema }) => {
    let h: Harness | undefined;

    afterAll(async () => {
      await h?.close();
    });

    it("refuses uploads with STORAGE_FULL (SQLSTATE 53100), leaves no blob behind, serves downloads, logs once, recovers", async () => {
      const log = capturedLogs("file-server-faults");
      h = await startHarness({ repo: await PgFileRepo.open(url, { schema }), logger: log.logger });
      await ts().moveSchema(schema);
      const kept = randomBytes(20_000);
      const { id } = await json(await upload(h, kept));

      await ts().fill();
      // Rows that fit in the pages already there still go in; then every upload is refused.
      let acknowledged = 1;
      const refusals: Response[] = [];
      for (let i = 0; i < 500 && refusals.length < 3; i++) {
        const res = await upload(h, randomBytes(1000));
        if (res.status === 200) acknowledged++;
        else refusals.push(res);
      }
      expect(refusals).toHaveLength(3);
      for (const r of refusals) {
        expect(r.status).toBe(507);
        expect((await json(r)).error.code).toBe("STORAGE_FULL");
      }
      // The blob written before the refused insert is gone: one blob per row, nothing staged.
      expect(await h.deps.repo.count()).toBe(acknowledged);
      expect(await h.filesIn(h.blobDir)).toHaveLength(acknowledged);
      expect(await h.filesIn(h.tmpDir)).toEqual([]);
      await expectServingWhileFull(h, id, kept);
      const logged = log.lines.filter((l) => l.condition === "disk_full");
      expect(logged).toHaveLength(1);
      expect(JSON.stringify(logged[0])).toContain('"code":"53100"');
      expect(log.lines.filter((l) => l.msg === "request failed")).toHaveLength(0);

      await ts().free();
      expect((await upload(h, randomBytes(1000))).status).toBe(200);
      expect(await health(h)).toEqual({ status: 200, body: { status: "ok", storage: "disk" } });
      expect(await degradedGauge(h, "disk_full")).toBe("0");
      expect(await h.deps.repo.count()).toBe(acknowledged + 1);
      expect(await h.filesIn(h.blobDir)).toHaveLength(acknowledged + 1);
    }, 60_000);
  },
);

describe("PostgreSQL connection lost (pg_terminate_backend)", () => {
  const { url, schema, applicationName: appName, faults } = pgFaultSuite("file-server", "fs_faults");
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ repo: await PgFileRepo.open(url, { schema, applicationName: appName }) });
  });
  afterAll(async () => {
    await h?.close();
  });

  /**
   * Holds an exclusive lock on the files table, starts `request`, kills the service's connections
   * once its query waits on that lock (and, with `waitForRetry`, once a retried read waits again),
   * then lets the lock go.
   */
  const killMidQuery = (request: () => Promise<Response>, waitForRetry: boolean) =>
    faults.killWhileBlocked(appName, `LOCK TABLE "${schema}".files IN ACCESS EXCLUSIVE MODE`, request, {
      waitForRetry,
    });

  it("answers a read whose connection died mid-query (retried once on a new connection)", async () => {
    const data = randomBytes(10_000);
    const { id } = await json(await upload(h, data));
    const res = await killMidQuery(() => fetch(`${h.url}/file/${id}`), true);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    expect((await health(h)).body.status).toBe("ok");
  });

  it("fails an upload whose insert lost its connection with DATABASE_UNAVAILABLE, leaving no blob, then takes the next", async () => {
    const rowsBefore = await h.deps.repo.count();
    const blobsBefore = (await h.filesIn(h.blobDir)).length;
    const res = await killMidQuery(() => upload(h, randomBytes(20_000)), false);
    expect(res.status).toBe(503);
    expect((await json(res)).error.code).toBe("DATABASE_UNAVAILABLE");
    // No blob without metadata, no metadata without blob.
    expect(await h.deps.repo.count()).toBe(rowsBefore);
    expect(await h.filesIn(h.blobDir)).toHaveLength(blobsBefore);
    expect(await h.filesIn(h.tmpDir)).toEqual([]);

    // Reconnected without a restart.
    const next = await upload(h, randomBytes(20_000));
    expect(next.status).toBe(200);
    expect(await h.deps.repo.count()).toBe(rowsBefore + 1);
    expect(await health(h)).toEqual({ status: 200, body: { status: "ok", storage: "disk" } });
  });

  it("keeps working after its idle connections were all terminated", async () => {
    const { id } = await json(await upload(h, randomBytes(1000)));
    await faults.terminate(appName);
    expect((await fetch(`${h.url}/file/${id}/info`)).status).toBe(200);
    expect((await upload(h, randomBytes(1000))).status).toBe(200);
  });
});
