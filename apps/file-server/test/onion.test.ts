import { randomBytes } from "node:crypto";
import { onionV4TestClient } from "@session/service-kit/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, json, startHarness } from "./harness.ts";

const dec = new TextDecoder();
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each([
  "aes-gcm",
  "xchacha20",
] as const)("file server through the onion final hop (%s)", (encType) => {
  it("uploads, reads info, downloads and extends with direct client routes disabled", async () => {
    h = await startHarness({ directClientRoutes: false });
    const client = onionV4TestClient(h.url, h.deps.keys.publicKey, encType);
    const data = randomBytes(200_000);

    const up = await client.request(
      {
        method: "POST",
        endpoint: "/file",
        headers: {
          "Content-Type": "application/octet-stream",
          "Content-Disposition": 'attachment; filename="a.bin"',
          "X-FS-TTL": "3600",
        },
      },
      data,
    );
    expect(up.info.code).toBe(200);
    const { id, expires } = JSON.parse(dec.decode(up.body));
    expect(id).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(expires).toBe(h.clock.now() / 1000 + 3600);

    const down = await client.request({ method: "GET", endpoint: `/file/${id}`, headers: {} });
    expect(down.info.code).toBe(200);
    expect(down.info.headers).toMatchObject({
      "content-type": "application/octet-stream",
      "content-disposition": "attachment; filename*=UTF-8''a.bin",
    });
    expect(Buffer.from(down.body).equals(data)).toBe(true);

    const info = await client.request({ method: "GET", endpoint: `/file/${id}/info`, headers: {} });
    expect(JSON.parse(dec.decode(info.body)).size).toBe(data.length);

    const ext = await client.request({ method: "POST", endpoint: `/file/${id}/extend`, headers: {} });
    expect(JSON.parse(dec.decode(ext.body)).expires).toBe(h.clock.now() / 1000 + 14 * 86_400);

    // The same routes stay closed to plain HTTP.
    expect((await fetch(`${h.url}/file/${id}`)).status).toBe(403);
  });

  it("carries 404, 400 and 413 back inside the encrypted reply, storing nothing", async () => {
    h = await startHarness({ directClientRoutes: false, limits: { maxFileBytes: 100_000 } });
    const client = onionV4TestClient(h.url, h.deps.keys.publicKey, encType);
    const missing = await client.request({ method: "GET", endpoint: `/file/${"x".repeat(44)}`, headers: {} });
    expect(missing.info.code).toBe(404);
    const bad = await client.request({ method: "GET", endpoint: "/file/nope", headers: {} });
    expect(bad.info.code).toBe(400);
    const big = await client.request(
      { method: "POST", endpoint: "/file", headers: {} },
      new Uint8Array(100_001),
    );
    expect(big.info.code).toBe(413);
    expect(JSON.parse(dec.decode(big.body)).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await h.deps.repo.count()).toBe(0);
    expect(await h.filesIn(h.tmpDir)).toEqual([]);
  });

  it("answers tampered, short and wrong-key bodies with a clear 400, never a 5xx", async () => {
    h = await startHarness({ directClientRoutes: false });
    const good = onionV4TestClient(h.url, h.deps.keys.publicKey, encType).build({
      method: "GET",
      endpoint: "/file/x",
      headers: {},
    }).layer;
    const tampered = good.slice();
    tampered[30] = tampered[30]! ^ 0x40; // inside the ciphertext (after the 4-byte length)
    const wrongKey = onionV4TestClient(h.url, randomBytes(32), encType).build({
      method: "GET",
      endpoint: "/x",
      headers: {},
    }).layer;
    const cases: [Uint8Array, string][] = [
      [tampered, "ONION_DECRYPT_FAILED"],
      [new Uint8Array([1, 0]), "ONION_BAD_LAYER"],
      [wrongKey, "ONION_DECRYPT_FAILED"],
    ];
    for (const [body, code] of cases) {
      const res = await fetch(`${h.url}/oxen/v4/lsrpc`, { method: "POST", body });
      expect(res.status).toBe(400);
      expect((await json(res)).error.code).toBe(code);
    }
  });
});

describe("onion final hop limits", () => {
  it("limits onion requests per forwarding node", async () => {
    h = await startHarness({ rateLimits: { nodeRequestsPerMinute: 2 } });
    const client = onionV4TestClient(h.url, h.deps.keys.publicKey, "aes-gcm");
    const id = "A".repeat(44);
    expect(
      (await client.request({ method: "GET", endpoint: `/file/${id}/info`, headers: {} })).info.code,
    ).toBe(404);
    expect(
      (await client.request({ method: "GET", endpoint: `/file/${id}/info`, headers: {} })).info.code,
    ).toBe(404);
    const { layer } = client.build({ method: "GET", endpoint: `/file/${id}/info`, headers: {} });
    const res = await fetch(`${h.url}/oxen/v4/lsrpc`, { method: "POST", body: layer });
    expect(res.status).toBe(429);
    expect((await json(res)).error.code).toBe("RATE_LIMITED");
  });

  it("carries a full 10 MB upload through the hop", async () => {
    h = await startHarness({ directClientRoutes: false });
    const client = onionV4TestClient(h.url, h.deps.keys.publicKey, "xchacha20");
    const data = randomBytes(10_000_000);
    const up = await client.request({ method: "POST", endpoint: "/file", headers: {} }, data);
    expect(up.info.code).toBe(200);
    const { id } = JSON.parse(dec.decode(up.body));
    const down = await client.request({ method: "GET", endpoint: `/file/${id}`, headers: {} });
    expect(Buffer.from(down.body).equals(data)).toBe(true);
  });
});
