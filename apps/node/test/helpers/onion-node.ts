import { generateKeyPairSync } from "node:crypto";
import type { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { toHex, x25519Keypair } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import { parseRpcRequest } from "@session/protocol/rpc";
import { Hono } from "hono";
import pino from "pino";
import { Registry } from "prom-client";
import { createMonitorService } from "../../src/monitor/routes.ts";
import type { OnionLimits } from "../../src/onion/limits.ts";
import { type OnionRouteContext, onionRoutes } from "../../src/onion/routes.ts";
import { type OnionServerPolicy, serverPost } from "../../src/onion/server-destination.ts";

export interface TestNodeAddress {
  pubkey_ed25519: string;
  pubkey_x25519: string;
  public_ip: string;
  storage_port: number;
}

/** A shared view of the test network: every started node registers itself here. */
export class TestNetwork {
  readonly nodes = new Map<string, TestNodeAddress>();
  nodeByEd25519(hex: string) {
    return this.nodes.get(hex.toLowerCase());
  }
  allNodes() {
    return [...this.nodes.values()];
  }
}

export function ed25519KeyPair() {
  const { publicKey } = generateKeyPairSync("ed25519");
  const der = publicKey.export({ format: "der", type: "spki" });
  return { publicKey: new Uint8Array(der.subarray(der.length - 32)) };
}

/**
 * The final hop's storage RPC for onion-only tests: parses the request with @session/protocol
 * (so bad requests get the real typed errors) and answers with what it understood.
 * Integration suites use the node's real storage RPC instead.
 */
export async function parsingRpc(body: unknown): Promise<{ status: number; body: unknown }> {
  try {
    const req = parseRpcRequest(body);
    return { status: 200, body: { understood: req.method, t: 1 } };
  } catch (err) {
    if (err instanceof ProtocolError) return { status: err.status, body: err.message };
    throw err;
  }
}

export interface OnionTestNode {
  ed25519: Uint8Array;
  x25519: Uint8Array;
  ed25519Hex: string;
  url: string;
  metrics: Registry;
  address: TestNodeAddress;
  close(): Promise<void>;
}

/** A real HTTP server on a loopback port-0 socket with only the onion routes mounted. */
export async function startOnionTestNode(
  network: TestNetwork,
  opts: {
    limits?: Partial<OnionLimits>;
    rpc?: OnionRouteContext["rpc"]["handle"];
    register?: boolean;
    /** Also mount the monitor routes, fed from this emitter's "stored" events. */
    events?: EventEmitter;
    /** Where final hops may connect; default: loopback servers on any port (test servers use port 0). */
    servers?: OnionServerPolicy;
    /** DNS for final hops (tests point names at chosen addresses). */
    resolve?: Parameters<typeof serverPost>[1];
  } = {},
): Promise<OnionTestNode> {
  const ed = ed25519KeyPair();
  const x = x25519Keypair();
  const metrics = new Registry();
  const ctx: OnionRouteContext = {
    keys: { ed25519: ed, x25519: x },
    logger: pino({ level: "silent" }),
    metrics,
    rpc: { handle: opts.rpc ?? parsingRpc },
    network,
    fetch,
  };
  const app = new Hono();
  const servers = opts.servers ?? { allowPrivateAddresses: true, allowedPorts: "any" };
  const finalHop = serverPost(servers, opts.resolve);
  app.route(
    "/",
    onionRoutes(ctx, { limits: opts.limits, nodeScheme: "http", servers, serverPost: finalHop.post }),
  );
  const monitor = opts.events
    ? createMonitorService({ clock: { now: () => Date.now() }, logger: ctx.logger, events: opts.events })
    : undefined;
  if (monitor) app.route("/", monitor.routes);
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const address: TestNodeAddress = {
    pubkey_ed25519: toHex(ed.publicKey),
    pubkey_x25519: toHex(x.publicKey),
    public_ip: "127.0.0.1",
    storage_port: port,
  };
  if (opts.register !== false) network.nodes.set(address.pubkey_ed25519, address);
  return {
    ed25519: ed.publicKey,
    x25519: x.publicKey,
    ed25519Hex: address.pubkey_ed25519,
    url: `http://127.0.0.1:${port}`,
    metrics,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        network.nodes.delete(address.pubkey_ed25519);
        monitor?.close();
        void finalHop.close();
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
