import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import {
  decryptAttachment,
  encryptAttachment,
  onionOpenReply,
  onionSealLayer,
  toHex,
  x25519Keypair,
} from "@session/crypto";
import { buildOnionRequest, decodeV4Response, encodeV4Request, type OnionHop } from "@session/protocol";
import { Hono } from "hono";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness.ts";

/*
 * The whole path a Session client uses: client → three storage nodes (apps/node's onion
 * handling, each a real HTTP server on loopback) → this file server, with direct client routes
 * off. apps/node exposes no package entry for its onion routes yet, so they are loaded from its
 * source; if that module is not there the suite is skipped and says why.
 */
const NODE_ROUTES = join(import.meta.dirname, "..", "..", "node", "src", "onion", "routes.ts");
const nodeRelayAvailable = existsSync(NODE_ROUTES);

interface PathNode extends OnionHop {
  url: string;
  close(): Promise<void>;
}

async function startNodes(count: number): Promise<PathNode[]> {
  // biome-ignore lint/suspicious/noExplicitAny: another app's internal module, loaded at run time
  const { onionRoutes } = (await import(NODE_ROUTES)) as { onionRoutes: (ctx: any, opts: any) => Hono };
  const directory = new Map<string, { pubkey_ed25519: string; public_ip: string; storage_port: number }>();
  const network = {
    nodeByEd25519: (hex: string) => directory.get(hex.toLowerCase()),
    allNodes: () => [...directory.values()],
  };
  const nodes: PathNode[] = [];
  for (let i = 0; i < count; i++) {
    const ed25519 = randomBytes(32);
    const keys = x25519Keypair();
    const app = new Hono();
    app.route(
      "/",
      onionRoutes(
        {
          keys: { ed25519: { publicKey: ed25519 }, x25519: keys },
          logger: pino({ level: "silent" }),
          metrics: new Registry(),
          rpc: { handle: async () => ({ status: 404, body: "no storage here" }) },
          network,
          fetch,
        },
        // The file server listens on loopback at port 0: a devnet's setting.
        { nodeScheme: "http", servers: { allowPrivateAddresses: true, allowedPorts: "any" } },
      ),
    );
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const port = (server.address() as { port: number }).port;
    directory.set(toHex(ed25519), {
      pubkey_ed25519: toHex(ed25519),
      public_ip: "127.0.0.1",
      storage_port: port,
    });
    nodes.push({
      ed25519,
      x25519: keys.publicKey,
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeAllConnections(): void }).closeAllConnections();
        }),
    });
  }
  return nodes;
}

const describeIfRelay = nodeRelayAvailable ? describe : describe.skip;

// Three node processes relay every request: seconds each on a loaded machine.
describeIfRelay("file server through a 3-node onion path (apps/node relays)", { timeout: 30_000 }, () => {
  let h: Harness;
  let nodes: PathNode[];

  beforeAll(async () => {
    h = await startHarness({ directClientRoutes: false });
    nodes = await startNodes(3);
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await h.close();
  });

  async function viaPath(
    encType: "aes-gcm" | "xchacha20",
    info: Parameters<typeof encodeV4Request>[0],
    body?: Uint8Array,
  ) {
    const port = Number(new URL(h.url).port);
    const built = buildOnionRequest(
      {
        payload: encodeV4Request(info, body),
        destination: {
          kind: "server",
          host: "127.0.0.1",
          port,
          protocol: "http",
          target: "/oxen/v4/lsrpc",
          x25519: h.deps.keys.publicKey,
        },
        hops: nodes,
        encType,
      },
      onionSealLayer,
    );
    const res = await fetch(`${nodes[0]!.url}/onion_req/v2`, { method: "POST", body: built.request });
    expect(res.status).toBe(200);
    const reply = new Uint8Array(await res.arrayBuffer());
    const v4 = decodeV4Response(onionOpenReply(encType, reply, built.destinationKeys));
    return { code: v4.info.code, headers: v4.info.headers ?? {}, body: v4.body ?? new Uint8Array(0) };
  }

  it("carries a Session-encrypted attachment (@session/crypto) that the recipient decrypts", async () => {
    const photo = randomBytes(123_456);
    const att = encryptAttachment(photo);
    const up = await viaPath(
      "xchacha20",
      {
        method: "POST",
        endpoint: "/file",
        headers: { "Content-Type": "application/octet-stream", "Content-Disposition": "attachment" },
      },
      att.ciphertext,
    );
    const { id } = JSON.parse(new TextDecoder().decode(up.body));
    const down = await viaPath("aes-gcm", { method: "GET", endpoint: `/file/${id}`, headers: {} });
    expect(decryptAttachment(down.body, att.key, att.digest, att.size)).toEqual(new Uint8Array(photo));
  });

  for (const encType of ["aes-gcm", "xchacha20"] as const) {
    it(`${encType}: upload, download and extend travel client → 3 nodes → file server and back`, async () => {
      const data = randomBytes(300_000);
      const up = await viaPath(encType, { method: "POST", endpoint: "/file", headers: {} }, data);
      expect(up.code).toBe(200);
      const { id } = JSON.parse(new TextDecoder().decode(up.body));
      const down = await viaPath(encType, { method: "GET", endpoint: `/file/${id}`, headers: {} });
      expect(down.code).toBe(200);
      expect(down.headers["content-type"]).toBe("application/octet-stream");
      expect(Buffer.from(down.body).equals(data)).toBe(true);
      const ext = await viaPath(encType, { method: "POST", endpoint: `/file/${id}/extend`, headers: {} });
      expect(ext.code).toBe(200);
      const missing = await viaPath(encType, {
        method: "GET",
        endpoint: `/file/${"Z".repeat(44)}`,
        headers: {},
      });
      expect(missing.code).toBe(404);
    });
  }
});

if (!nodeRelayAvailable) {
  describe("file server through a 3-node onion path", () => {
    it.skip(`skipped: apps/node's onion relay (${NODE_ROUTES}) is not there`, () => {});
  });
}
