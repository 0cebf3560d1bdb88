import type { LookupAddress } from "node:dns";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { onionSealLayer, toHex, utf8Decode, utf8Encode, x25519Keypair } from "@session/crypto";
import { type EncType, encodeOnionLayer } from "@session/protocol/onion";
import { openHopReply } from "@session/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_ONION_SERVER_POLICY,
  guardedLookup,
  isPublicAddress,
} from "../src/onion/server-destination.ts";
import { postBytes } from "./helpers/onion-client.ts";
import { type OnionTestNode, startOnionTestNode, TestNetwork } from "./helpers/onion-node.ts";

/*
 * A final hop POSTs to an HTTP(S) server the client names. It must not become a way into the
 * node's own network: loopback and private services, cloud metadata, other ports, or other
 * paths on an allowed server. Every refusal is the encrypted 400 "Invalid url" and no request
 * reaches the listening server (which would have answered anything).
 */

const text = (b: Uint8Array) => utf8Decode(b);

/** A loopback server that counts what reaches it, by method and path. */
async function countingServer(): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createHttpServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.end("reached");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

/** A client's onion layer for `node` asking it to POST to an HTTP server with these routing fields. */
function serverLayer(node: OnionTestNode, routing: Record<string, unknown>, encType: EncType = "aes-gcm") {
  const serverKey = x25519Keypair();
  const forServer = onionSealLayer(utf8Encode('{"method":"info"}'), serverKey.publicKey, encType);
  const inner = encodeOnionLayer(forServer.ciphertext, {
    protocol: "http",
    ephemeral_key: toHex(forServer.ephemeralPublicKey),
    enc_type: encType,
    ...routing,
  });
  const enc = onionSealLayer(inner, node.x25519, encType);
  const body = encodeOnionLayer(enc.ciphertext, {
    ephemeral_key: toHex(enc.ephemeralPublicKey),
    enc_type: encType,
  });
  return {
    body,
    open: (reply: Uint8Array) =>
      text(openHopReply(encType, new Uint8Array(Buffer.from(text(reply), "base64")), enc.keys)),
  };
}

async function expectInvalidUrl(node: OnionTestNode, routing: Record<string, unknown>): Promise<void> {
  const l = serverLayer(node, routing);
  const res = await postBytes(`${node.url}/onion_req/v2`, l.body);
  expect(res.status, JSON.stringify(routing)).toBe(200);
  expect(JSON.parse(l.open(res.body)), JSON.stringify(routing)).toEqual({ status: 400, body: "Invalid url" });
}

const PRIVATE_V4 = [
  "127.0.0.1", // loopback
  "127.8.9.10",
  "10.1.2.3", // private
  "172.16.0.1",
  "172.31.255.254",
  "192.168.1.1",
  "169.254.169.254", // link-local (cloud metadata)
  "100.64.0.1", // carrier-grade NAT
  "0.0.0.0", // unspecified
  "224.0.0.1", // multicast
  "239.255.255.250",
  "255.255.255.255", // broadcast
  "240.0.0.1", // reserved
];
const PRIVATE_V6 = [
  "::1", // loopback
  "[::1]",
  "::", // unspecified
  "fe80::1", // link-local
  "fc00::1", // unique local
  "fd12:3456::1",
  "ff02::1", // multicast
  "::ffff:127.0.0.1", // IPv4-mapped loopback, dotted and hex forms
  "::ffff:7f00:1",
  "[::ffff:10.0.0.1]", // IPv4-mapped private
  "::ffff:169.254.169.254",
  "64:ff9b::7f00:1", // NAT64 of 127.0.0.1
  "2002:7f00:1::", // 6to4 of 127.0.0.1
];

describe("final hop: public addresses only (default policy)", () => {
  const network = new TestNetwork();
  let node: OnionTestNode;
  let target: Awaited<ReturnType<typeof countingServer>>;
  // Names this node resolves: each points at the address in its first label's table.
  const zone: Record<string, LookupAddress[]> = {
    "loopback.example": [{ address: "127.0.0.1", family: 4 }],
    "mixed.example": [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.7", family: 4 },
    ],
    "mapped.example": [{ address: "::ffff:127.0.0.1", family: 6 }],
    "metadata.example": [{ address: "169.254.169.254", family: 4 }],
  };

  beforeAll(async () => {
    target = await countingServer();
    node = await startOnionTestNode(network, {
      servers: DEFAULT_ONION_SERVER_POLICY,
      resolve: (host, cb) => {
        const found = zone[host];
        if (found) cb(null, found);
        else cb(Object.assign(new Error("not found"), { code: "ENOTFOUND" }), []);
      },
    });
  });
  afterAll(async () => {
    await node.close();
    await new Promise<void>((r) => target.server.close(() => r()));
  });

  it.each(PRIVATE_V4)("refuses IPv4 %s", async (host) => {
    await expectInvalidUrl(node, { host, port: 80, target: "/oxen/v4/lsrpc" });
  });

  it.each(PRIVATE_V6)("refuses IPv6 %s", async (host) => {
    await expectInvalidUrl(node, { host, port: 80, target: "/oxen/v4/lsrpc" });
  });

  it("refuses the listening loopback server on its own port, and the port list is enforced", async () => {
    await expectInvalidUrl(node, { host: "127.0.0.1", port: target.port, target: "/oxen/v4/lsrpc" });
    // A public literal on a port outside 443/80 (a database port) is refused before connecting.
    for (const port of [6379, 5432, 22, 8080]) {
      await expectInvalidUrl(node, { host: "93.184.216.34", port, target: "/oxen/v4/lsrpc" });
    }
    expect(target.hits).toEqual([]);
  });

  it("refuses names that resolve to loopback, private, mapped or link-local addresses", async () => {
    for (const host of ["loopback.example", "mixed.example", "mapped.example", "metadata.example"]) {
      await expectInvalidUrl(node, { host, port: 80, target: "/oxen/v4/lsrpc" });
    }
    expect(target.hits).toEqual([]);
  });

  it("refuses localhost through the system resolver", async () => {
    const real = await startOnionTestNode(network, {
      servers: { ...DEFAULT_ONION_SERVER_POLICY, allowedPorts: "any" },
    });
    try {
      await expectInvalidUrl(real, { host: "localhost", port: target.port, target: "/oxen/v4/lsrpc" });
      expect(target.hits).toEqual([]);
    } finally {
      await real.close();
    }
  });
});

describe("final hop on a devnet (loopback allowed): only allowed ports and lsrpc paths", () => {
  const network = new TestNetwork();
  let node: OnionTestNode;
  let target: Awaited<ReturnType<typeof countingServer>>;
  let other: Awaited<ReturnType<typeof countingServer>>;

  beforeAll(async () => {
    target = await countingServer();
    other = await countingServer();
    node = await startOnionTestNode(network, {
      servers: { allowPrivateAddresses: true, allowedPorts: [443, 80, target.port] },
    });
  });
  afterAll(async () => {
    await node.close();
    await new Promise<void>((r) => target.server.close(() => r()));
    await new Promise<void>((r) => other.server.close(() => r()));
  });

  it("reaches the allowed server's /oxen/v4/lsrpc, and only that path", async () => {
    const l = serverLayer(node, { host: "127.0.0.1", port: target.port, target: "/oxen/v4/lsrpc" });
    const res = await postBytes(`${node.url}/onion_req/v2`, l.body);
    expect(res.status).toBe(200);
    expect(text(res.body)).toBe("reached");
    expect(target.hits).toEqual(["POST /oxen/v4/lsrpc"]);
  });

  it("refuses a port that is not allowed", async () => {
    await expectInvalidUrl(node, { host: "127.0.0.1", port: other.port, target: "/oxen/v4/lsrpc" });
    expect(other.hits).toEqual([]);
  });

  it("refuses path tricks in the target and in the host", async () => {
    const before = target.hits.length;
    const port = target.port;
    for (const routing of [
      { host: "127.0.0.1", port, target: "/oxen/../admin/secret#/lsrpc" },
      { host: "127.0.0.1", port, target: "/oxen/%2e%2e/admin/lsrpc" },
      { host: "127.0.0.1", port, target: "/loki/./../admin/lsrpc" },
      { host: "127.0.0.1", port, target: "/oxen/v4/lsrpc#x" },
      { host: "127.0.0.1", port, target: "/oxen//lsrpc" },
      { host: `127.0.0.1:${port}/any/path?x=1#`, port: 80, target: "/oxen/v4/lsrpc" },
      { host: `127.0.0.1:${port}`, port: 80, target: "/oxen/v4/lsrpc" },
      { host: `user@127.0.0.1`, port, target: "/oxen/v4/lsrpc" },
      { host: "2130706433", port, target: "/oxen/v4/lsrpc" },
      { host: "127.1", port, target: "/oxen/v4/lsrpc" },
    ]) {
      await expectInvalidUrl(node, routing);
    }
    expect(target.hits.length).toBe(before);
  });
});

describe("address checks", () => {
  it("classifies only global unicast as public", () => {
    for (const a of ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isPublicAddress(a), a).toBe(true);
    }
    for (const a of [...PRIVATE_V4, ...PRIVATE_V6.filter((x) => !x.startsWith("["))]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    expect(isPublicAddress("not an address")).toBe(false);
  });

  it("hands the socket exactly the addresses it checked, resolving once per connection", async () => {
    // A rebinding resolver: public the first time, loopback the second.
    let calls = 0;
    const lookup = guardedLookup(DEFAULT_ONION_SERVER_POLICY, (_h, cb) => {
      calls++;
      cb(null, [{ address: calls === 1 ? "93.184.216.34" : "127.0.0.1", family: 4 }]);
    });
    const once = (all: boolean) =>
      new Promise<{ err: Error | null; value: unknown }>((resolve) =>
        lookup("rebind.example", { all }, (err, address, family) =>
          resolve({ err, value: all ? address : { address, family } }),
        ),
      );
    expect(await once(true)).toEqual({ err: null, value: [{ address: "93.184.216.34", family: 4 }] });
    const second = await once(false);
    expect(second.err?.name).toBe("DestinationRefusedError");
    expect(calls).toBe(2);
  });
});
