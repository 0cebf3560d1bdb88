import { onionOpenReply, onionSealLayer, toHex, x25519Keypair } from "@session/crypto";
import { decodeV4Response, encodeOnionLayer, encodeV4Request } from "@session/protocol/onion";
import fc from "fast-check";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notFoundHandler, onErrorHandler } from "./errors.ts";
import type { EncType } from "./hop.ts";
import { createLogger } from "./logger.ts";
import { isOnionRequest, onionV4Handler } from "./onion.ts";
import { type RunningServer, startServer } from "./serve.ts";
import { onionV4TestClient } from "./testing.ts";

const logger = createLogger({ name: "t", level: "silent" });
const keys = x25519Keypair();
const otherKp = x25519Keypair();
const dec = new TextDecoder();

function makeApp() {
  const app = new Hono();
  app.onError(onErrorHandler(logger));
  app.notFound(notFoundHandler);
  app.post("/echo", async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    c.header("X-Echo-Len", String(body.length));
    return c.json({
      onion: isOnionRequest(c),
      query: c.req.query("q") ?? null,
      auth: c.req.header("x-auth") ?? null,
      body: toHex(body),
    });
  });
  app.get("/bytes", (c) =>
    c.body(new Uint8Array([0, 1, 2, 255]), 200, { "content-type": "application/octet-stream" }),
  );
  app.post("/oxen/v4/lsrpc", onionV4Handler({ x25519Keys: keys, app, logger, maxBodyBytes: 100_000 }));
  return app;
}

let server: RunningServer;
const app = makeApp();
beforeAll(async () => {
  server = await startServer(app, { port: 0, graceMs: 500 });
});
afterAll(async () => {
  await server.close();
});

const post = (body: Uint8Array) => fetch(`${server.url}/oxen/v4/lsrpc`, { method: "POST", body });

describe.each(["aes-gcm", "xchacha20"] as EncType[])("onion v4 final hop (%s)", (encType) => {
  const client = () => onionV4TestClient(server.url, keys.publicKey, encType);

  it("runs a POST with body, headers and query in-process and encrypts the v4 reply", async () => {
    const res = await client().request(
      {
        method: "POST",
        endpoint: "/echo?q=1",
        headers: { "X-Auth": "tok", "Content-Type": "application/octet-stream" },
      },
      new Uint8Array([9, 8, 7]),
    );
    expect(res.info.code).toBe(200);
    expect(res.info.headers?.["x-echo-len"]).toBe("3");
    expect(res.info.headers?.["content-type"]).toMatch(/^application\/json/);
    expect(res.info.headers?.["content-length"]).toBeUndefined();
    expect(JSON.parse(dec.decode(res.body))).toEqual({
      onion: true,
      query: "1",
      auth: "tok",
      body: "090807",
    });
  });

  it("returns binary bodies and error statuses inside the v4 response", async () => {
    const bytes = await client().request({ method: "GET", endpoint: "/bytes", headers: {} });
    expect([...bytes.body]).toEqual([0, 1, 2, 255]);
    const missing = await client().request({ method: "GET", endpoint: "/nope", headers: {} });
    expect(missing.info.code).toBe(404);
    expect(JSON.parse(dec.decode(missing.body)).error.code).toBe("NOT_FOUND");
  });

  it("answers a GET carrying a body, or undecodable plaintext, with an encrypted 400", async () => {
    const c = client();
    const { layer, open } = c.build({ method: "GET", endpoint: "/bytes", headers: {} }, new Uint8Array([1]));
    const res = await post(layer);
    expect(res.status).toBe(200);
    const v4 = open(new Uint8Array(await res.arrayBuffer()));
    expect(v4.info.code).toBe(400);
    expect(JSON.parse(dec.decode(v4.body)).error.code).toBe("BAD_REQUEST");

    for (const plain of [
      new TextEncoder().encode("not bencode"),
      encodeV4Request({ method: "GET", endpoint: "x" } as never),
    ]) {
      const enc = onionSealLayer(plain, keys.publicKey, encType);
      const body = encodeOnionLayer(enc.ciphertext, {
        ephemeral_key: toHex(enc.ephemeralPublicKey),
        enc_type: encType,
      });
      const r = await post(body);
      expect(r.status).toBe(200);
      const reply = decodeV4Response(
        onionOpenReply(encType, new Uint8Array(await r.arrayBuffer()), enc.keys),
      );
      expect(reply.info.code).toBe(400);
      expect(JSON.parse(dec.decode(reply.body)).error.code).toMatch(/BENCODE_INVALID|BAD_REQUEST/);
    }
  });

  it("accepts the layer exactly as a storage node forwards it (host/port/protocol/target in the JSON)", async () => {
    const { layer, open } = client().build({ method: "GET", endpoint: "/bytes", headers: {} }, undefined, {
      host: "files.example",
      port: 443,
      protocol: "https",
      target: "/oxen/v4/lsrpc",
    });
    expect(new TextDecoder().decode(layer.subarray(layer.length - 200))).toContain('"host":"files.example"');
    const res = await post(layer);
    expect(res.status).toBe(200);
    expect([...(open(new Uint8Array(await res.arrayBuffer())).body ?? [])]).toEqual([0, 1, 2, 255]);
  });

  it("refuses an onion request nested inside another", async () => {
    const c = client();
    const inner = c.build({ method: "GET", endpoint: "/bytes", headers: {} }).layer;
    const res = await c.request({ method: "POST", endpoint: "/oxen/v4/lsrpc", headers: {} }, inner);
    expect(res.info.code).toBe(400);
    expect(JSON.parse(dec.decode(res.body)).error.message).toBe("nested onion requests are not allowed");
  });

  it("rejects tampered ciphertext and a layer for another key with 400 ONION_DECRYPT_FAILED", async () => {
    const { layer } = client().build({ method: "GET", endpoint: "/bytes", headers: {} });
    const tampered = layer.slice();
    tampered[10] = tampered[10]! ^ 1;
    const res = await post(tampered);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: "ONION_DECRYPT_FAILED", message: "invalid ciphertext" },
    });

    const wrong = onionV4TestClient(server.url, otherKp.publicKey, encType).build({
      method: "GET",
      endpoint: "/bytes",
      headers: {},
    });
    const res2 = await post(wrong.layer);
    expect(res2.status).toBe(400);
    expect(((await res2.json()) as { error: { code: string } }).error.code).toBe("ONION_DECRYPT_FAILED");
  });
});

describe("onion v4 final hop: malformed layers", () => {
  const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  it("gives short, unparseable or incomplete layers 400 ONION_BAD_LAYER", async () => {
    const cases: Uint8Array[] = [
      new Uint8Array([1, 2]),
      new Uint8Array([255, 255, 0, 0, 1, 2, 3]),
      encodeOnionLayer(new Uint8Array(40), { enc_type: "aes-gcm" }),
      encodeOnionLayer(new Uint8Array(40), { ephemeral_key: "zz", enc_type: "aes-gcm" }),
      encodeOnionLayer(new Uint8Array(40), { ephemeral_key: toHex(otherKp.publicKey), enc_type: "rot13" }),
      new Uint8Array([3, 0, 0, 0, 1, 2, 3, ...new TextEncoder().encode("[1]")]),
      new Uint8Array([3, 0, 0, 0, 1, 2, 3, ...new TextEncoder().encode("{bad")]),
    ];
    for (const body of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(await code(res)).toBe("ONION_BAD_LAYER");
    }
  });

  it("gives an over-large body 413", async () => {
    const res = await post(new Uint8Array(100_001));
    expect(res.status).toBe(413);
    expect(await code(res)).toBe("PAYLOAD_TOO_LARGE");
  });

  it("never answers arbitrary bytes or mutated layers with a 5xx", async () => {
    const { layer } = onionV4TestClient(server.url, keys.publicKey, "xchacha20").build(
      { method: "POST", endpoint: "/echo", headers: {} },
      new Uint8Array(10),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.nat(layer.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const m = layer.slice();
            m[i] = m[i]! ^ x;
            return m;
          }),
        ),
        async (body) => {
          const res = await app.request("/oxen/v4/lsrpc", { method: "POST", body });
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});
