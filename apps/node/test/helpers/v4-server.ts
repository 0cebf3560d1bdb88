import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { fromHex, utf8Decode, utf8Encode, x25519Keypair } from "@session/crypto";
import {
  decodeOnionLayer,
  decodeV4Request,
  encodeV4Response,
  firstHopInfoSchema,
} from "@session/protocol/onion";
import { decryptFromClient, encryptToClient } from "@session/service-kit";
import { Hono } from "hono";

/**
 * A tiny HTTP server with its own `/oxen/v4/lsrpc`, as the file server and push server have:
 * it reads the layer a storage node forwards (`[N][ciphertext]{…, ephemeral_key, enc_type}`),
 * decrypts the v4 request with its X25519 key and answers `GET /echo/<x>` and `POST /upload`
 * with an encrypted v4 response. `requests` counts what reached it.
 */
export async function startV4TestServer() {
  const keys = x25519Keypair();
  let requests = 0;
  const app = new Hono();
  app.post("/oxen/v4/lsrpc", async (c) => {
    requests++;
    const layer = decodeOnionLayer(new Uint8Array(await c.req.arrayBuffer()));
    const info = firstHopInfoSchema.parse(layer.json);
    const clientKey = fromHex(info.ephemeral_key);
    const req = decodeV4Request(decryptFromClient(info.enc_type, layer.payload, clientKey, keys));
    let reply: Uint8Array;
    if (req.info.method === "GET" && req.info.endpoint.startsWith("/echo/")) {
      reply = encodeV4Response(
        { code: 200, headers: { "content-type": "text/plain" } },
        utf8Encode(req.info.endpoint.slice(6)),
      );
    } else if (req.info.method === "POST" && req.info.endpoint === "/upload") {
      const size = req.body?.length ?? 0;
      reply = encodeV4Response(
        { code: 201, headers: { "content-type": "application/json" } },
        utf8Encode(
          JSON.stringify({ size, first: utf8Decode((req.body ?? new Uint8Array()).subarray(0, 5)) }),
        ),
      );
    } else {
      reply = encodeV4Response({ code: 404 }, utf8Encode("not found"));
    }
    const sealed = encryptToClient(info.enc_type, reply, clientKey, keys);
    return c.body(sealed as Uint8Array<ArrayBuffer>, 200, { "content-type": "application/octet-stream" });
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  return {
    x25519: keys.publicKey,
    port: (server.address() as AddressInfo).port,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
