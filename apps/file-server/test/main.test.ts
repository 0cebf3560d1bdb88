import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runService } from "@session/service-kit/testing";
import postgres from "postgres";
import S3rver from "s3rver";
import { afterEach, describe, expect, it } from "vitest";

const main = join(import.meta.dirname, "..", "src", "main.ts");
const run = (env: Record<string, string>) => runService(main, env);
let dataDir: string | undefined;
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("main", () => {
  it("runs on PostgreSQL metadata and S3 blobs configured from the environment", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "fs-main-"));
    const s3 = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: join(dataDir, "s3"),
      configureBuckets: [{ name: "att", configs: [] }],
    });
    const { port } = await s3.run();
    const schema = `fs_main_${process.pid}_${randomBytes(4).toString("hex")}`;
    const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
    try {
      const p = run({
        FS_DATA_DIR: dataDir,
        FS_PORT: "0",
        FS_DIRECT_CLIENT_ROUTES: "true",
        DATABASE_URL: PG_URL,
        DATABASE_SCHEMA: schema,
        FS_STORAGE: "s3",
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
        S3_BUCKET: "att",
        S3_PREFIX: "f/",
        S3_ACCESS_KEY_ID: "S3RVER",
        S3_SECRET_ACCESS_KEY: "S3RVER",
      });
      const ready = await p.line(/file server listening/);
      expect(ready.storage).toBe("s3");
      const url = ready.url as string;
      const data = randomBytes(50_000);
      const { id } = (await (await fetch(`${url}/file`, { method: "POST", body: data })).json()) as {
        id: string;
      };
      const down = Buffer.from(await (await fetch(`${url}/file/${id}`)).arrayBuffer());
      expect(down.equals(data)).toBe(true);
      const rows = await admin.unsafe(`SELECT id FROM "${schema}".files`);
      expect(rows.map((r) => r.id)).toEqual([id]);
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end({ timeout: 5 });
      await s3.close();
    }
  }, 30_000);

  it("starts with a generated key, serves, and shuts down on SIGTERM", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "fs-main-"));
    const p = run({ FS_DATA_DIR: dataDir, FS_PORT: "0", FS_DIRECT_CLIENT_ROUTES: "1" });
    const ready = await p.line(/file server listening/);
    const key = (await readFile(join(dataDir, "x25519.key"), "utf8")).trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(dataDir, "x25519.key"))).mode & 0o777).toBe(0o600);
    expect(ready.x25519PublicKey).toMatch(/^[0-9a-f]{64}$/);
    const url = ready.url as string;
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok", storage: "disk" });
    const up = await fetch(`${url}/file`, { method: "POST", body: new Uint8Array([1, 2, 3]) });
    expect(up.status).toBe(200);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    // The listen URL is logged once; no request line carries the caller's address.
    expect(p.output().out.split("127.0.0.1").length - 1).toBe(1);
  }, 30_000);

  it("exits 1 with a clear message on bad config", async () => {
    const p = run({ FS_MAX_FILE_SIZE: "lots" });
    expect(await p.exited).toBe(1);
    const { err } = p.output();
    expect(err).toContain("invalid file server configuration:");
    expect(err).toContain("FS_MAX_FILE_SIZE:");
  }, 30_000);
});
