import { fromHex, toHex } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { newEd25519Key } from "../../test/helpers/ed25519.ts";
import { codeOf } from "../../test/helpers/errors.ts";
import { aesGcmDecrypt, aesGcmEncrypt, newX25519, type X25519Key } from "../../test/helpers/hop.ts";
import { buildOnionRequest } from "./builder.ts";
import { decodeOnionLayer } from "./layer.ts";
import { interpretDecryptedLayer } from "./layer-action.ts";
import { firstHopInfoSchema, parseOnionRouting } from "./routing.ts";

interface TestNode {
  ed25519: Uint8Array;
  x25519: Uint8Array;
  x: X25519Key;
}
const mkNode = (): TestNode => {
  const x = newX25519();
  return { ed25519: newEd25519Key().pub, x25519: x.pub, x };
};

/** What the path does: each node decrypts its layer and reads where to send the rest. */
function walk(request: Uint8Array, path: TestNode[]) {
  const outer = decodeOnionLayer(request);
  let blob = outer.payload;
  let eph = fromHex(firstHopInfoSchema.parse(outer.json).ephemeral_key);
  for (let i = 0; i < path.length; i++) {
    const plain = aesGcmDecrypt(blob, path[i]!.x, eph);
    const layer = decodeOnionLayer(plain);
    const route = parseOnionRouting(layer.json);
    if (i < path.length - 1) {
      expect(route).toMatchObject({ kind: "node", destination: toHex(path[i + 1]!.ed25519) });
    }
    if (i === path.length - 1) return { route, layer, plain };
    if (route.kind !== "node") throw new Error("expected relay");
    blob = layer.payload;
    eph = fromHex(route.ephemeral_key);
  }
  throw new Error("unreachable");
}

describe("buildOnionRequest", () => {
  const payload = new TextEncoder().encode('{"method":"info","params":{}}');
  /** `payload` through `hops` to a server's onion endpoint at `at`. */
  const toServer = (hops: TestNode[], server: X25519Key, at: { host: string; port?: number }) =>
    buildOnionRequest(
      {
        payload,
        destination: {
          kind: "server",
          ...at,
          target: "/oxen/v4/lsrpc",
          protocol: "http",
          x25519: server.pub,
        },
        hops,
        encType: "aes-gcm",
      },
      aesGcmEncrypt,
    );

  it("to a node: 3 hops peel in order and the destination sees payload + {headers}", () => {
    const hops = [mkNode(), mkNode(), mkNode()];
    const dest = mkNode();
    const built = buildOnionRequest(
      { payload, destination: { kind: "node", ...dest }, hops, encType: "aes-gcm" },
      aesGcmEncrypt,
    );
    const { route, layer } = walk(built.request, hops);
    expect(route).toMatchObject({ kind: "node", destination: toHex(dest.ed25519), enc_type: "aes-gcm" });
    if (route.kind !== "node") throw new Error();
    const atDest = decodeOnionLayer(aesGcmDecrypt(layer.payload, dest.x, fromHex(route.ephemeral_key)));
    expect(parseOnionRouting(atDest.json)).toEqual({ kind: "final" });
    expect(atDest.payload).toEqual(payload);
    expect(built.destinationKeys.pub).toEqual(fromHex(route.ephemeral_key));
  });

  it("to a server: the last node gets host/target/port and the server decrypts the relayed layer", () => {
    const hops = [mkNode(), mkNode()];
    const server = newX25519();
    const built = toServer(hops, server, { host: "files.example" });
    const { route, plain } = walk(built.request, hops);
    expect(route).toMatchObject({
      kind: "server",
      host: "files.example",
      port: 80,
      protocol: "http",
      method: "POST",
    });
    // oxenss POSTs the whole decrypted layer; the server reads it as an onion layer itself
    const atServer = decodeOnionLayer(plain);
    const info = firstHopInfoSchema.parse(atServer.json);
    expect(aesGcmDecrypt(atServer.payload, server, fromHex(info.ephemeral_key))).toEqual(payload);
  });

  it("interpretDecryptedLayer tells each node what to do", () => {
    const hops = [mkNode(), mkNode()];
    const dest = mkNode();
    const built = buildOnionRequest(
      { payload, destination: { kind: "node", ...dest }, hops, encType: "aes-gcm" },
      aesGcmEncrypt,
    );
    const outer = decodeOnionLayer(built.request);
    let eph = fromHex(firstHopInfoSchema.parse(outer.json).ephemeral_key);
    let blob = outer.payload;
    for (const node of [...hops, dest]) {
      const action = interpretDecryptedLayer(aesGcmDecrypt(blob, node.x, eph));
      if (node === dest) {
        expect(action).toEqual({ kind: "final", body: payload, json: false, base64: true });
        return;
      }
      if (action.kind !== "node") throw new Error("expected relay");
      blob = action.blob;
      eph = fromHex(action.next.ephemeral_key);
    }
    throw new Error("never reached the destination");
  });

  it("interpretDecryptedLayer gives the URL and the whole layer for server relays", () => {
    const server = newX25519();
    const hopNode = mkNode();
    const built = toServer([hopNode], server, { host: "127.0.0.1", port: 8080 });
    const outer = decodeOnionLayer(built.request);
    const plain = aesGcmDecrypt(
      outer.payload,
      hopNode.x,
      fromHex(firstHopInfoSchema.parse(outer.json).ephemeral_key),
    );
    const action = interpretDecryptedLayer(plain);
    if (action.kind !== "server") throw new Error("expected a server relay");
    expect(action.url).toBe("http://127.0.0.1:8080/oxen/v4/lsrpc");
    expect(action.body).toEqual(plain);
    const atServer = decodeOnionLayer(action.body);
    const eph = fromHex(firstHopInfoSchema.parse(atServer.json).ephemeral_key);
    expect(aesGcmDecrypt(atServer.payload, server, eph)).toEqual(payload);
  });

  it("refuses empty and over-long paths", () => {
    const dest = mkNode();
    const opts = { payload, destination: { kind: "node" as const, ...dest }, encType: "aes-gcm" as const };
    expect(codeOf(() => buildOnionRequest({ ...opts, hops: [] }, aesGcmEncrypt))).toBe("BAD_REQUEST");
    expect(
      codeOf(() => buildOnionRequest({ ...opts, hops: Array.from({ length: 15 }, mkNode) }, aesGcmEncrypt)),
    ).toBe("ONION_HOP_LIMIT");
  });
});
