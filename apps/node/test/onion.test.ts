import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { fromHex, onionSealLayer, toHex, utf8Decode, utf8Encode, x25519Keypair } from "@session/crypto";
import {
  decodeOnionLayer,
  type EncType,
  encodeOnionLayer,
  encodeRelayRequest,
  encodeV4Request,
  FINAL_HOP_CONTROL,
} from "@session/protocol/onion";
import { openHopReply } from "@session/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODE_HEADER } from "../src/onion/reply.ts";
import { buildClientOnion, postBytes } from "./helpers/onion-client.ts";
import { ed25519KeyPair, type OnionTestNode, startOnionTestNode, TestNetwork } from "./helpers/onion-node.ts";
import { loopbackServer, startRawServer } from "./helpers/raw-server.ts";

const ENC_TYPES: EncType[] = ["aes-gcm", "xchacha20"];
const rpcBody = (method: string, params: object = {}) => utf8Encode(JSON.stringify({ method, params }));
const text = (b: Uint8Array) => utf8Decode(b);

/** Sends a layer encrypted straight to `node` whose decrypted content is `inner`. */
function layerFor(node: OnionTestNode, inner: Uint8Array, encType: EncType = "aes-gcm", extra: object = {}) {
  const enc = onionSealLayer(inner, node.x25519, encType);
  const body = encodeOnionLayer(enc.ciphertext, {
    ephemeral_key: toHex(enc.ephemeralPublicKey),
    enc_type: encType,
    ...extra,
  });
  return {
    body,
    open: (reply: Uint8Array) => text(openHopReply(encType, fromBase64Text(reply), enc.keys)),
  };
}

function fromBase64Text(b: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.from(text(b), "base64"));
}

describe("onion requests at one node", () => {
  const network = new TestNetwork();
  let node: OnionTestNode;
  let other: OnionTestNode;

  beforeAll(async () => {
    node = await startOnionTestNode(network, { limits: { maxBodyBytes: 64 * 1024 } });
    other = await startOnionTestNode(network);
  });
  afterAll(async () => {
    await node.close();
    await other.close();
  });

  for (const encType of ENC_TYPES) {
    it(`${encType}: a one-hop request runs the storage RPC here and the reply decrypts`, async () => {
      // The first layer itself carries {"headers": ""}: this node is the destination.
      const direct = layerFor(node, encodeOnionLayer(rpcBody("info"), FINAL_HOP_CONTROL), encType);
      const res = await postBytes(`${node.url}/onion_req/v2`, direct.body);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(JSON.parse(direct.open(res.body))).toEqual({
        status: 200,
        body: JSON.stringify({ understood: "info", t: 1 }),
      });
    });

    it(`${encType}: a two-node path ends at the second node, which answers the client`, async () => {
      const onion = buildClientOnion({
        payload: rpcBody("info"),
        destination: { kind: "node", ed25519: other.ed25519, x25519: other.x25519 },
        hops: [node],
        encType,
      });
      const res = await postBytes(`${node.url}/onion_req/v2`, onion.request);
      expect(res.status).toBe(200);
      expect(onion.openJson(res.body)).toEqual({ status: 200, body: { understood: "info", t: 1 } });
    });

    it(`${encType}: a v4 request for /storage_rpc/v1 gets a v4 reply`, async () => {
      const v4 = encodeV4Request({ method: "POST", endpoint: "/storage_rpc/v1" }, rpcBody("info"));
      const onion = buildClientOnion({
        payload: v4,
        destination: { kind: "node", ed25519: other.ed25519, x25519: other.x25519 },
        hops: [node],
        encType,
      });
      const res = await postBytes(`${node.url}/oxen/v4/lsrpc`, onion.request);
      expect(res.status).toBe(200);
      const reply = onion.openV4(res.body);
      expect(reply.info.code).toBe(200);
      expect(JSON.parse(text(reply.body!))).toEqual({ understood: "info", t: 1 });

      const wrong = buildClientOnion({
        payload: encodeV4Request({ method: "GET", endpoint: "/admin" }),
        destination: { kind: "node", ed25519: other.ed25519, x25519: other.x25519 },
        hops: [node],
        encType,
      });
      const res2 = await postBytes(`${node.url}/oxen/v4/lsrpc`, wrong.request);
      expect(wrong.openV4(res2.body).info.code).toBe(404);
    });
  }

  it("a layer naming this node as its own next hop is refused as a loop", async () => {
    const onion = buildClientOnion({
      payload: rpcBody("info"),
      destination: { kind: "node", ed25519: node.ed25519, x25519: node.x25519 },
      hops: [node],
      encType: "aes-gcm",
    });
    const res = await postBytes(`${node.url}/onion_req/v2`, onion.request);
    expect(res.status).toBe(400);
    expect(text(res.body)).toBe("onion request loops back to this node");
    expect(res.headers.get(ERROR_CODE_HEADER)).toBe("ONION_HOP_LIMIT");
  });

  it("storage RPC errors come back encrypted with their status", async () => {
    const direct = layerFor(node, encodeOnionLayer(rpcBody("no_such_method"), FINAL_HOP_CONTROL));
    const res = await postBytes(`${node.url}/onion_req/v2`, direct.body);
    expect(res.status).toBe(200);
    expect(JSON.parse(direct.open(res.body)).status).toBe(400);
    const bad = layerFor(node, encodeOnionLayer(utf8Encode("{not json"), FINAL_HOP_CONTROL));
    const res2 = await postBytes(`${node.url}/onion_req/v2`, bad.body);
    expect(JSON.parse(bad.open(res2.body))).toMatchObject({ status: 400 });
  });

  it("malformed outer layers → 400 'Error parsing onion request' before any decryption", async () => {
    const ek = toHex(x25519Keypair().publicKey);
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([1, 0]),
      new Uint8Array([200, 0, 0, 0, 1, 2, 3]),
      encodeOnionLayer(new Uint8Array(40), {}).subarray(0, 50),
      new Uint8Array([...encodeOnionLayer(new Uint8Array(40), { ephemeral_key: ek }).subarray(0, 44), 0x7b]),
      encodeOnionLayer(new Uint8Array(40), { ephemeral_key: "zz" }),
      encodeOnionLayer(new Uint8Array(40), { ephemeral_key: ek, enc_type: "rot13" }),
      encodeOnionLayer(new Uint8Array(40), { ephemeral_key: ek, hop_no: "one" }),
    ];
    for (const body of cases) {
      const res = await postBytes(`${node.url}/onion_req/v2`, body);
      expect(res.status).toBe(400);
      expect(text(res.body)).toMatch(/^Error parsing onion request: /);
      expect(res.headers.get(ERROR_CODE_HEADER)).toBe("ONION_BAD_LAYER");
    }
  });

  it("a layer for another key, or tampered, → 400 'Invalid ciphertext' and nothing forwarded", async () => {
    const forOther = layerFor(other, encodeOnionLayer(rpcBody("info"), FINAL_HOP_CONTROL));
    const res = await postBytes(`${node.url}/onion_req/v2`, forOther.body);
    expect(res.status).toBe(400);
    expect(text(res.body)).toBe("Invalid ciphertext");
    const xchachaAsGcm = layerFor(node, encodeOnionLayer(rpcBody("info"), FINAL_HOP_CONTROL), "xchacha20", {
      enc_type: "aes-gcm",
    });
    expect((await postBytes(`${node.url}/onion_req/v2`, xchachaAsGcm.body)).status).toBe(400);
  });

  it("a decrypted layer that is not [N][payload]{json} → encrypted 400 'Invalid json'", async () => {
    for (const inner of [
      utf8Encode("garbage"),
      encodeOnionLayer(new Uint8Array(3), { destination: "xyz" }),
    ]) {
      const l = layerFor(node, inner);
      const res = await postBytes(`${node.url}/onion_req/v2`, l.body);
      expect(res.status).toBe(200);
      expect(JSON.parse(l.open(res.body))).toEqual({ status: 400, body: "Invalid json" });
    }
  });

  it("oversized bodies → 413 without reading them all, declared or streamed", async () => {
    const big = new Uint8Array(64 * 1024 + 1);
    const res = await postBytes(`${node.url}/onion_req/v2`, big);
    expect(res.status).toBe(413);
    expect(res.headers.get(ERROR_CODE_HEADER)).toBe("PAYLOAD_TOO_LARGE");
    // chunked: no content-length, the limit applies while streaming
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 80; i++) c.enqueue(new Uint8Array(1024));
        c.close();
      },
    });
    const res2 = await fetch(`${node.url}/onion_req/v2`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res2.status).toBe(413);
  });

  /** An `info` request onion-routed through `node` to a next node it cannot reach. */
  const infoThroughNodeTo = (next: { ed25519: Uint8Array; x25519: Uint8Array }) =>
    postBytes(
      `${node.url}/onion_req/v2`,
      buildClientOnion({
        payload: rpcBody("info"),
        destination: { kind: "node", ...next },
        hops: [node],
        encType: "aes-gcm",
      }).request,
    );

  it("unknown next node → 502 'Next node not found: <ed25519>'", async () => {
    const ghost = { ed25519: ed25519KeyPair().publicKey, x25519: x25519Keypair().publicKey };
    const res = await infoThroughNodeTo(ghost);
    expect(res.status).toBe(502);
    expect(text(res.body)).toBe(`Next node not found: ${toHex(ghost.ed25519)}`);
  });

  it("a known node that does not answer → 502 quickly, never a hang", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead = { ed25519: ed25519KeyPair().publicKey, x25519: x25519Keypair().publicKey };
    network.nodes.set(toHex(dead.ed25519), {
      pubkey_ed25519: toHex(dead.ed25519),
      pubkey_x25519: toHex(dead.x25519),
      public_ip: "127.0.0.1",
      storage_port: port,
    });
    const res = await infoThroughNodeTo(dead);
    expect(res.status).toBe(502);
    expect(text(res.body)).toBe(`Next node unreachable: ${toHex(dead.ed25519)}`);
    network.nodes.delete(toHex(dead.ed25519));
  });

  it("hop numbers above 15 are refused; a relay that would exceed it is not sent", async () => {
    const l = layerFor(node, encodeOnionLayer(rpcBody("info"), FINAL_HOP_CONTROL), "aes-gcm", { hop_no: 16 });
    const res = await postBytes(`${node.url}/onion_req/v2`, l.body);
    expect(res.status).toBe(400);
    expect(text(res.body)).toBe("onion request max path length exceeded");

    const onion = buildClientOnion({
      payload: rpcBody("info"),
      destination: { kind: "node", ed25519: other.ed25519, x25519: other.x25519 },
      hops: [node],
      encType: "aes-gcm",
    });
    const outer = decodeOnionLayer(onion.request);
    const relayed = encodeRelayRequest({
      data: outer.payload,
      encType: "aes-gcm",
      ephemeralKey: fromHex((outer.json as { ephemeral_key: string }).ephemeral_key),
      hopNo: 15,
    });
    const res2 = await postBytes(`${node.url}/sn/onion_request`, relayed);
    expect(res2.status).toBe(400);
    expect(text(res2.body)).toBe("onion request max path length exceeded");
  });

  it("garbage on the node relay endpoint → 400 'Invalid internal onion request'", async () => {
    const res = await postBytes(`${node.url}/sn/onion_request`, utf8Encode("d4:datai1ee"));
    expect(res.status).toBe(400);
    expect(text(res.body)).toMatch(/^Invalid internal onion request: /);
  });

  it("server targets outside /loki|oxen/…/lsrpc → encrypted 400 'Invalid url', nothing fetched", async () => {
    let hits = 0;
    const target = createHttpServer((_req, res) => {
      hits++;
      res.end("should not be reached");
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", () => r()));
    const port = (target.address() as AddressInfo).port;
    const serverKey = x25519Keypair();
    const forServer = onionSealLayer(rpcBody("info"), serverKey.publicKey, "aes-gcm");
    for (const path of ["/admin", "/oxen/v4/lsrpc?x=1", "/oxen/v4/other"]) {
      const routing = {
        host: "127.0.0.1",
        port,
        protocol: "http",
        target: path,
        ephemeral_key: toHex(forServer.ephemeralPublicKey),
        enc_type: "aes-gcm",
      };
      const l = layerFor(node, encodeOnionLayer(forServer.ciphertext, routing));
      const res = await postBytes(`${node.url}/onion_req/v2`, l.body);
      expect(res.status).toBe(200);
      expect(JSON.parse(l.open(res.body))).toEqual({ status: 400, body: "Invalid url" });
    }
    expect(hits).toBe(0);
    await new Promise<void>((r) => target.close(() => r()));
  });

  it("a server destination that never answers → 504 after the server timeout", async () => {
    const slowNode = await startOnionTestNode(network, { limits: { serverTimeoutMs: 150 } });
    const target = await startRawServer(() => {
      // never answers
    });
    const onion = buildClientOnion({
      payload: rpcBody("info"),
      destination: loopbackServer(target.port, x25519Keypair().publicKey),
      hops: [slowNode],
      encType: "aes-gcm",
    });
    const started = Date.now();
    const res = await postBytes(`${slowNode.url}/onion_req/v2`, onion.request);
    expect(res.status).toBe(504);
    expect(text(res.body)).toBe("Request time out");
    expect(Date.now() - started).toBeLessThan(5000);
    await target.close();
    await slowNode.close();
  });

  it("a next node that accepts but never answers → 504 'Request time out' after the node timeout", async () => {
    const hasty = await startOnionTestNode(network, { limits: { nodeTimeoutMs: 150 } });
    const silent = createHttpServer(() => {
      // holds every request open
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const stuck = { ed25519: ed25519KeyPair().publicKey, x25519: x25519Keypair().publicKey };
    network.nodes.set(toHex(stuck.ed25519), {
      pubkey_ed25519: toHex(stuck.ed25519),
      pubkey_x25519: toHex(stuck.x25519),
      public_ip: "127.0.0.1",
      storage_port: (silent.address() as AddressInfo).port,
    });
    const onion = buildClientOnion({
      payload: rpcBody("info"),
      destination: { kind: "node", ...stuck },
      hops: [hasty],
      encType: "aes-gcm",
    });
    const res = await postBytes(`${hasty.url}/onion_req/v2`, onion.request);
    expect(res.status).toBe(504);
    expect(text(res.body)).toBe("Request time out");
    network.nodes.delete(toHex(stuck.ed25519));
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
    await hasty.close();
  });

  it("a server reply above the relay cap → 502, not buffered without bound", async () => {
    const capped = await startOnionTestNode(network, { limits: { maxReplyBytes: 1000 } });
    const chatty = await startRawServer((_req, res) => res.end(Buffer.alloc(5000, 1)));
    const onion = buildClientOnion({
      payload: rpcBody("info"),
      destination: loopbackServer(chatty.port, x25519Keypair().publicKey),
      hops: [capped],
      encType: "aes-gcm",
    });
    const res = await postBytes(`${capped.url}/onion_req/v2`, onion.request);
    expect(res.status).toBe(502);
    expect(res.headers.get(ERROR_CODE_HEADER)).toBe("BAD_GATEWAY");
    await chatty.close();
    await capped.close();
  });

  it("over the in-flight cap, requests are refused with 503 instead of queueing", async () => {
    // The window between the first request reaching the silent server and the node's timeout must
    // outlast a loaded machine's scheduling gaps; the second request is sent once the first arrived.
    const busy = await startOnionTestNode(network, { limits: { maxInFlight: 1, serverTimeoutMs: 2000 } });
    let arrived!: () => void;
    const firstArrived = new Promise<void>((r) => {
      arrived = r;
    });
    const silent = await startRawServer(() => {
      arrived(); // and holds the request open until the node's server timeout
    });
    const slow = buildClientOnion({
      payload: rpcBody("info"),
      destination: loopbackServer(silent.port, x25519Keypair().publicKey),
      hops: [busy],
      encType: "aes-gcm",
    });
    const first = postBytes(`${busy.url}/onion_req/v2`, slow.request);
    await firstArrived;
    const second = await postBytes(`${busy.url}/onion_req/v2`, slow.request);
    expect(second.status).toBe(503);
    expect(second.headers.get(ERROR_CODE_HEADER)).toBe("SERVICE_UNAVAILABLE");
    expect((await first).status).toBe(504);
    // the slot is free again
    const third = await postBytes(`${busy.url}/onion_req/v2`, new Uint8Array([1]));
    expect(third.status).toBe(400);
    await silent.close();
    await busy.close();
  });

  it("counts requests by outcome in the metrics registry", async () => {
    const metric = await node.metrics.getSingleMetric("session_node_onion_requests_total")?.get();
    const byLabel = new Map(metric?.values.map((v) => [`${v.labels.outcome}/${v.labels.code}`, v.value]));
    expect(byLabel.get("node/ok")).toBeGreaterThanOrEqual(4);
    expect(byLabel.get("rejected/ONION_DECRYPT_FAILED")).toBeGreaterThanOrEqual(1);
    expect(byLabel.get("rejected/PAYLOAD_TOO_LARGE")).toBeGreaterThanOrEqual(2);
  });
});
