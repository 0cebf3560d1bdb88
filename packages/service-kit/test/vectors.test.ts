import { fromHex, onionDecryptResponse } from "@session/crypto";
import { decodeV4Response } from "@session/protocol";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { decryptFromClient, type EncType } from "../src/hop.ts";
import { onionV4Handler } from "../src/onion.ts";
import vectors from "./vectors/onionreq-parser.json" with { type: "json" };

const A = fromHex(vectors.A);
const a = fromHex(vectors.a);
const keys = { publicKey: fromHex(vectors.B), secretKey: fromHex(vectors.b) };

describe.each(["aes-gcm", "xchacha20"] as EncType[])("libsession onion parser vector (%s)", (encType) => {
  const layer = fromHex(vectors.layers[encType as keyof typeof vectors.layers]);

  it("decrypts the final-hop layer libsession built", () => {
    const n = new DataView(layer.buffer, layer.byteOffset).getUint32(0, true);
    const plain = decryptFromClient(encType, layer.subarray(4, 4 + n), A, keys);
    expect(new TextDecoder().decode(plain)).toBe(vectors.plaintext);
  });

  it("goes through onionV4Handler: the reply opens with the client's key ('Hello world' is no v4 request → 400)", async () => {
    const app = new Hono();
    app.post("/oxen/v4/lsrpc", onionV4Handler({ x25519Keys: keys, app }));
    const res = await app.request("/oxen/v4/lsrpc", { method: "POST", body: layer });
    expect(res.status).toBe(200);
    const reply = new Uint8Array(await res.arrayBuffer());
    const client = { publicKey: A, secretKey: a };
    const v4 = decodeV4Response(onionDecryptResponse(encType, reply, client, keys.publicKey));
    expect(v4.info.code).toBe(400);
    expect(JSON.parse(new TextDecoder().decode(v4.body)).error.code).toBe("BENCODE_INVALID");
  });
});
