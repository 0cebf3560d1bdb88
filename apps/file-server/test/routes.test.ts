import { randomBytes } from "node:crypto";
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { sweepExpired } from "../src/domain/files.ts";
import { eventually, type Harness, type HarnessOptions, json, startHarness } from "./harness.ts";

const DAY_MS = 86_400_000;
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(options?: HarnessOptions) {
  h = await startHarness(options);
  return h;
}

async function upload(base: string, body: Uint8Array, headers: Record<string, string> = {}) {
  return fetch(`${base}/file`, { method: "POST", body, headers });
}

async function uploadOk(base: string, body: Uint8Array, headers: Record<string, string> = {}) {
  const res = await upload(base, body, headers);
  expect(res.status).toBe(200);
  return (await json(res)) as { id: string; expires: number };
}

/** Sends `total` declared bytes with node:http, writing only `send` of them unless `send` is total. */
function rawUpload(
  url: string,
  opts: { total?: number; chunks: Uint8Array[]; destroyWhen?: () => Promise<unknown> },
) {
  return new Promise<{ status?: number; body?: string; error?: Error }>((resolve) => {
    const headers: Record<string, string> =
      opts.total === undefined
        ? { "transfer-encoding": "chunked" }
        : { "content-length": String(opts.total) };
    const req = http.request(`${url}/file`, { method: "POST", headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString() }));
    });
    req.on("error", (error) => resolve({ error }));
    (async () => {
      for (const chunk of opts.chunks) {
        if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
      }
      if (opts.destroyWhen) {
        await opts.destroyWhen();
        req.destroy();
        resolve({});
      } else {
        req.end();
      }
    })();
  });
}

describe("file routes", () => {
  it("round-trips an upload: id shape, bytes, headers, info", async () => {
    const { url, clock } = await harness();
    const data = randomBytes(300_000);
    const { id, expires } = await uploadOk(url, data, {
      "content-type": "application/octet-stream",
      "content-disposition": 'attachment; filename="cat pic.jpg"',
    });
    expect(id).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(expires).toBe((clock.now() + 14 * DAY_MS) / 1000);

    const res = await fetch(`${url}/file/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-length")).toBe(String(data.length));
    expect(res.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''cat%20pic.jpg");
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);

    const info = await json(await fetch(`${url}/file/${id}/info`));
    expect(info).toEqual({ id, size: data.length, uploaded: clock.now() / 1000, expires });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain("fileserver_uploads_total 1");
    expect(metrics).toContain(`fileserver_upload_bytes_total ${data.length}`);
    expect(metrics).toContain("fileserver_downloads_total 1");
    expect(metrics).not.toContain(id);
  });

  it("gives two uploads of the same bytes different ids", async () => {
    const { url } = await harness();
    const data = randomBytes(1000);
    const a = await uploadOk(url, data);
    const b = await uploadOk(url, data);
    expect(a.id).not.toBe(b.id);
  });

  it("honours X-FS-TTL, capped at the maximum, and rejects a bad one", async () => {
    const { url, clock } = await harness();
    const short = await uploadOk(url, randomBytes(10), { "x-fs-ttl": "3600" });
    expect(short.expires).toBe(clock.now() / 1000 + 3600);
    const capped = await uploadOk(url, randomBytes(10), { "x-fs-ttl": String(365 * 86_400) });
    expect(capped.expires).toBe(clock.now() / 1000 + 30 * 86_400);
    const bad = await upload(url, randomBytes(10), { "x-fs-ttl": "-5" });
    expect(bad.status).toBe(403);
    expect((await json(bad)).error.code).toBe("INVALID_TTL");
  });

  it("accepts exactly 10 MB and rejects 10 MB + 1 byte with 413, storing nothing", async () => {
    const { url, deps, tmpDir, blobDir, filesIn } = await harness();
    const max = deps.limits.maxFileBytes;
    const res = await upload(url, new Uint8Array(max + 1));
    expect(res.status).toBe(413);
    expect(await json(res)).toEqual({
      error: { code: "PAYLOAD_TOO_LARGE", message: `file exceeds the ${max}-byte limit` },
    });
    expect(await deps.repo.count()).toBe(0);
    expect(await filesIn(tmpDir)).toEqual([]);
    expect(await filesIn(blobDir)).toEqual([]);

    const ok = await uploadOk(url, new Uint8Array(max).fill(7));
    expect((await json(await fetch(`${url}/file/${ok.id}/info`))).size).toBe(max);
  });

  it("rejects an oversize chunked upload (no Content-Length) mid-stream and cleans up", async () => {
    const { url, deps, tmpDir, blobDir, filesIn } = await harness({ limits: { maxFileBytes: 100_000 } });
    const chunks = Array.from({ length: 8 }, () => randomBytes(16_384));
    const res = await rawUpload(url, { chunks });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body ?? "{}").error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await deps.repo.count()).toBe(0);
    expect(await eventually(async () => (await filesIn(tmpDir)).length === 0)).toBe(true);
    expect(await filesIn(blobDir)).toEqual([]);
  });

  it("leaves no file, row or temp file when the client dies mid-upload", async () => {
    const { url, deps, tmpDir, blobDir, filesIn } = await harness();
    const chunks = Array.from({ length: 16 }, () => randomBytes(65_536));
    // Once the server has started staging, the connection dies.
    await rawUpload(url, {
      total: 5_000_000,
      chunks,
      destroyWhen: () => expect.poll(async () => (await filesIn(tmpDir)).length, { timeout: 5000 }).toBe(1),
    });
    expect(await eventually(async () => (await filesIn(tmpDir)).length === 0)).toBe(true);
    expect(await filesIn(blobDir)).toEqual([]);
    expect(await deps.repo.count()).toBe(0);
  });

  it("rejects an empty upload", async () => {
    const { url, deps } = await harness();
    const res = await upload(url, new Uint8Array(0));
    expect(res.status).toBe(400);
    expect(await deps.repo.count()).toBe(0);
  });

  it("extends a file's expiry and never shortens it", async () => {
    const { url, clock } = await harness();
    const { id, expires } = await uploadOk(url, randomBytes(100));
    clock.advance(10 * DAY_MS);
    const res = await fetch(`${url}/file/${id}/extend`, { method: "POST" });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.expires).toBe((clock.now() + 14 * DAY_MS) / 1000);
    expect(body.expires).toBeGreaterThan(expires);
    const shorter = await json(
      await fetch(`${url}/file/${id}/extend`, { method: "POST", headers: { "x-fs-ttl": "60" } }),
    );
    expect(shorter.expires).toBe(body.expires);
    clock.advance(13 * DAY_MS);
    expect((await fetch(`${url}/file/${id}`)).status).toBe(200);
  });

  it("hides an expired file at once and deletes it on the sweep", async () => {
    const { url, clock, deps, blobDir, filesIn } = await harness();
    const keep = await uploadOk(url, randomBytes(100), { "x-fs-ttl": String(20 * 86_400) });
    const { id } = await uploadOk(url, randomBytes(100));
    expect(await filesIn(blobDir)).toHaveLength(2);

    clock.advance(14 * DAY_MS);
    expect((await fetch(`${url}/file/${id}`)).status).toBe(404);
    expect((await fetch(`${url}/file/${id}/extend`, { method: "POST" })).status).toBe(404);
    expect(await deps.repo.count()).toBe(2);

    expect(await h!.sweep()).toBe(1);
    expect(await deps.repo.count()).toBe(1);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain("fileserver_files_swept_total 1");
    const left = await filesIn(blobDir);
    expect(left).toHaveLength(1);
    expect(left[0]).toContain(keep.id);
    expect((await fetch(`${url}/file/${keep.id}`)).status).toBe(200);
    expect(await sweepExpired(deps)).toBe(0);
  });

  it("answers 404 for an unknown id and 400 for malformed ids", async () => {
    const { url } = await harness();
    const unknown = await fetch(`${url}/file/${"A".repeat(44)}`);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.code).toBe("NOT_FOUND");
    for (const bad of [
      "short",
      "A".repeat(43),
      "A".repeat(45),
      `${"A".repeat(43)}%21`,
      `${"A".repeat(43)}.`,
    ]) {
      for (const path of [`/file/${bad}`, `/file/${bad}/info`]) {
        const res = await fetch(`${url}${path}`);
        expect(res.status, path).toBe(400);
        expect((await json(res)).error.code).toBe("BAD_REQUEST");
      }
      expect((await fetch(`${url}/file/${bad}/extend`, { method: "POST" })).status).toBe(400);
    }
  });

  it("serves the deprecated base64 /files routes", async () => {
    const { url } = await harness();
    const data = randomBytes(5000);
    const res = await fetch(`${url}/files`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ file: data.toString("base64") }),
    });
    expect(res.status).toBe(200);
    const { status_code, result } = await json(res);
    expect(status_code).toBe(200);
    const got = await json(await fetch(`${url}/files/${result}`));
    expect(got).toEqual({ status_code: 200, result: data.toString("base64") });
    const raw = await fetch(`${url}/file/${result}`);
    expect(Buffer.from(await raw.arrayBuffer()).equals(data)).toBe(true);
    const bad = await fetch(`${url}/files`, { method: "POST", body: JSON.stringify({ nope: 1 }) });
    expect(bad.status).toBe(400);
  });

  it("refuses direct client requests when direct routes are off, but keeps /health and /metrics", async () => {
    const { url, deps } = await harness({ directClientRoutes: false });
    const res = await upload(url, randomBytes(10));
    expect(res.status).toBe(403);
    expect((await json(res)).error.code).toBe("FORBIDDEN");
    expect((await fetch(`${url}/file/${"A".repeat(44)}`)).status).toBe(403);
    expect(await deps.repo.count()).toBe(0);
    expect(await json(await fetch(`${url}/health`))).toEqual({ status: "ok", storage: "disk" });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('fileserver_http_requests_total{method="POST",route="/file",status="403"} 1');
  });

  it("rate-limits each route regardless of caller, refilling with the clock", async () => {
    const { url, clock } = await harness({ rateLimits: { requestsPerMinute: 3 } });
    const id = "A".repeat(44);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${url}/file/${id}/info`)).status);
    expect(statuses).toEqual([404, 404, 404, 429]);
    // Another route has its own budget.
    expect((await fetch(`${url}/file/${id}`)).status).toBe(404);
    clock.advance(20_000);
    expect((await fetch(`${url}/file/${id}/info`)).status).toBe(404);
  });

  it("limits upload volume per minute", async () => {
    const { url, deps } = await harness({ rateLimits: { uploadBytesPerMinute: 25_000 } });
    await uploadOk(url, randomBytes(20_000));
    const res = await upload(url, randomBytes(20_000));
    expect(res.status).toBe(429);
    expect(await deps.repo.count()).toBe(1);
  });

  it("serves configured Session versions", async () => {
    const { url, clock } = await harness({ sessionVersions: { desktop: "1.14.2" } });
    expect(await json(await fetch(`${url}/session_version?platform=desktop`))).toEqual({
      status_code: 200,
      result: "1.14.2",
      updated: clock.now() / 1000,
    });
    expect((await fetch(`${url}/session_version?platform=ios`)).status).toBe(502);
    expect((await fetch(`${url}/session_version?platform=amiga`)).status).toBe(404);
  });
});
