import { toHex, utf8Decode, utf8Encode, x25519Keypair } from "@session/crypto";
import { type EncType, encodeV4Request } from "@session/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClientOnion, postBytes } from "./helpers/onion-client.ts";
import { ed25519KeyPair, type OnionTestNode, startOnionTestNode, TestNetwork } from "./helpers/onion-node.ts";
import { loopbackServer } from "./helpers/raw-server.ts";
import { startV4TestServer } from "./helpers/v4-server.ts";

/*
 * Three-hop paths across real node servers (onion routes only; the storage RPC at the final
 * node is the parsing stand-in): guard → middle → exit → destination node, and
 * guard → middle → exit → HTTP server with its own /oxen/v4/lsrpc.
 */

const ENC_TYPES: EncType[] = ["aes-gcm", "xchacha20"];

describe("3-hop onion paths", () => {
  const network = new TestNetwork();
  let guard: OnionTestNode;
  let middle: OnionTestNode;
  let exit: OnionTestNode;
  let dest: OnionTestNode;
  let server: Awaited<ReturnType<typeof startV4TestServer>>;

  beforeAll(async () => {
    [guard, middle, exit, dest] = await Promise.all([
      startOnionTestNode(network),
      startOnionTestNode(network),
      startOnionTestNode(network),
      startOnionTestNode(network),
    ]);
    server = await startV4TestServer();
  });
  afterAll(async () => {
    await Promise.all([guard, middle, exit, dest].map((n) => n.close()));
    await server.close();
  });

  for (const encType of ENC_TYPES) {
    it(`${encType}: guard → middle → exit → node runs the RPC at the destination`, async () => {
      const onion = buildClientOnion({
        payload: utf8Encode(JSON.stringify({ method: "info", params: {} })),
        destination: { kind: "node", ed25519: dest.ed25519, x25519: dest.x25519 },
        hops: [guard, middle, exit],
        encType,
      });
      const res = await postBytes(`${guard.url}/onion_req/v2`, onion.request);
      expect(res.status).toBe(200);
      expect(onion.openJson(res.body)).toEqual({ status: 200, body: { understood: "info", t: 1 } });
    });

    it(`${encType}: guard → middle → exit → HTTP server's /oxen/v4/lsrpc, v4 reply relayed back`, async () => {
      const before = server.requests;
      const onion = buildClientOnion({
        payload: encodeV4Request({ method: "GET", endpoint: "/echo/hello" }),
        destination: loopbackServer(server.port, server.x25519),
        hops: [guard, middle, exit],
        encType,
      });
      const res = await postBytes(`${guard.url}/onion_req/v2`, onion.request);
      expect(res.status).toBe(200);
      const reply = onion.openV4(res.body);
      expect(reply.info.code).toBe(200);
      expect(utf8Decode(reply.body!)).toBe("hello");
      expect(server.requests).toBe(before + 1);

      const body = utf8Encode("attachment bytes ".repeat(1000));
      const upload = buildClientOnion({
        payload: encodeV4Request({ method: "POST", endpoint: "/upload" }, body),
        destination: loopbackServer(server.port, server.x25519),
        hops: [guard, middle, exit],
        encType,
      });
      const up = upload.openV4((await postBytes(`${guard.url}/oxen/v4/lsrpc`, upload.request)).body);
      expect(up.info.code).toBe(201);
      expect(JSON.parse(utf8Decode(up.body!))).toEqual({ size: body.length, first: "attac" });
    });
  }

  it("a failure deep in the path comes back to the client unchanged through the earlier hops", async () => {
    const ghost = { ed25519: ed25519KeyPair().publicKey, x25519: x25519Keypair().publicKey };
    const onion = buildClientOnion({
      payload: utf8Encode(JSON.stringify({ method: "info", params: {} })),
      destination: { kind: "node", ...ghost },
      hops: [guard, middle, exit],
      encType: "xchacha20",
    });
    const res = await postBytes(`${guard.url}/onion_req/v2`, onion.request);
    expect(res.status).toBe(502);
    expect(utf8Decode(res.body)).toBe(`Next node not found: ${toHex(ghost.ed25519)}`);
  });

  it("a path that revisits a node is fine; a hop count over 15 is stopped by the node that sees it", async () => {
    const revisit = buildClientOnion({
      payload: utf8Encode(JSON.stringify({ method: "info", params: {} })),
      destination: { kind: "node", ed25519: dest.ed25519, x25519: dest.x25519 },
      hops: [guard, middle, guard, middle],
      encType: "aes-gcm",
    });
    const ok = await postBytes(`${guard.url}/onion_req/v2`, revisit.request);
    expect(revisit.openJson(ok.body).status).toBe(200);

    // 14 hops is what buildOnionRequest allows; a client claiming to start at hop 10 runs out.
    const long = buildClientOnion({
      payload: utf8Encode(JSON.stringify({ method: "info", params: {} })),
      destination: { kind: "node", ed25519: dest.ed25519, x25519: dest.x25519 },
      hops: [guard, middle, exit, guard, middle, exit, guard],
      encType: "aes-gcm",
    });
    const n = new DataView(long.request.buffer).getUint32(0, true);
    const outer = JSON.parse(utf8Decode(long.request.subarray(4 + n)));
    const shifted = new Uint8Array([
      ...long.request.subarray(0, 4 + n),
      ...utf8Encode(JSON.stringify({ ...outer, hop_no: 10 })),
    ]);
    const res = await postBytes(`${guard.url}/onion_req/v2`, shifted);
    expect(res.status).toBe(400);
    expect(utf8Decode(res.body)).toBe("onion request max path length exceeded");
  });
});
