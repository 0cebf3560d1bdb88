import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { suiteTempDir } from "@session/service-kit/testing";
import postgres from "postgres";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgFileRepo } from "../src/db/repo.ts";
import { sweepExpired } from "../src/domain/files.ts";
import { S3BlobStore } from "../src/storage/s3.ts";
import { type Harness, json, startHarness } from "./harness.ts";

const DAY_MS = 86_400_000;
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The same lifecycle against any backend: upload, download, info, extend, expire, sweep. */
async function lifecycle(h: Harness) {
  const { url, clock, deps } = h;
  const data = randomBytes(1_500_000);
  const up = await fetch(`${url}/file`, { method: "POST", body: data });
  expect(up.status).toBe(200);
  const { id } = await json(up);
  const down = await fetch(`${url}/file/${id}`);
  expect(down.status).toBe(200);
  expect(down.headers.get("content-length")).toBe(String(data.length));
  expect(Buffer.from(await down.arrayBuffer()).equals(data)).toBe(true);
  expect((await json(await fetch(`${url}/file/${id}/info`))).size).toBe(data.length);

  clock.advance(7 * DAY_MS);
  const ext = await json(await fetch(`${url}/file/${id}/extend`, { method: "POST" }));
  expect(ext.expires).toBe((clock.now() + 14 * DAY_MS) / 1000);

  const short = await json(
    await fetch(`${url}/file`, { method: "POST", body: randomBytes(10), headers: { "x-fs-ttl": "60" } }),
  );
  clock.advance(61_000);
  expect((await fetch(`${url}/file/${short.id}`)).status).toBe(404);
  expect(await deps.blobs.open(short.id)).toBeDefined();
  expect(await sweepExpired(deps)).toBe(1);
  expect(await deps.blobs.open(short.id)).toBeUndefined();
  expect(await deps.repo.count()).toBe(1);
  expect((await fetch(`${url}/file/${id}`)).status).toBe(200);
}

// s3rver checks the access key id and the SigV4 header layout but not the signature value itself.
describe("S3 storage (s3rver on loopback)", () => {
  const s3Dir = suiteTempDir("fs-s3-");
  let s3: S3rver;
  let endpoint: string;

  beforeAll(async () => {
    s3 = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: s3Dir(),
      configureBuckets: [{ name: "attachments", configs: [] }],
    });
    const addr = await s3.run();
    endpoint = `http://127.0.0.1:${addr.port}`;
  });

  afterAll(async () => {
    await s3.close();
  });

  const store = (accessKeyId = "S3RVER") =>
    new S3BlobStore({
      endpoint,
      region: "us-east-1",
      bucket: "attachments",
      prefix: "files/",
      accessKeyId,
      secretAccessKey: "S3RVER",
    });

  it("stores, serves, extends and sweeps files in the bucket", async () => {
    const h = await startHarness({ blobs: store() });
    try {
      await lifecycle(h);
      const objects = await h.filesIn(join(s3Dir(), "attachments"));
      expect(objects.some((p) => p.includes(join("attachments", "files")))).toBe(true);
      expect(await h.filesIn(h.blobDir)).toEqual([]);
      // Staged temp files are gone once the bucket holds the bytes.
      expect(await h.filesIn(h.tmpDir)).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it("fails an upload cleanly when S3 refuses it (unknown key): 500, no row, no temp file", async () => {
    const h = await startHarness({ blobs: store("NOT-A-KEY") });
    try {
      const res = await fetch(`${h.url}/file`, { method: "POST", body: randomBytes(1000) });
      expect(res.status).toBe(500);
      expect((await json(res)).error.code).toBe("INTERNAL");
      expect(await h.deps.repo.count()).toBe(0);
      expect(await h.filesIn(h.tmpDir)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

describe("PostgreSQL metadata", () => {
  const schema = `fs_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  let admin: postgres.Sql;

  beforeAll(() => {
    admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end({ timeout: 5 });
  });

  it("runs the whole lifecycle with rows in a private schema", async () => {
    const repo = await PgFileRepo.open(PG_URL, { schema });
    const h = await startHarness({ repo });
    try {
      await lifecycle(h);
      const rows = await admin.unsafe(`SELECT id, size FROM "${schema}".files`);
      expect(rows).toHaveLength(1);
      expect(Number(rows[0]!.size)).toBe(1_500_000);
    } finally {
      await h.close();
    }
  });
});
