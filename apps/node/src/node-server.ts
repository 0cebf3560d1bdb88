// The storage node's HTTP(S) server: TLS (self-signed), the fast path before Hono, the connection
// guards, node links on the same port, and the Unix socket a cluster owner listens on instead.
import { rmSync } from "node:fs";
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { connectionServerOptions } from "@session/service-kit";
import { ownerGate } from "./cluster/owner-gate.ts";
import type { NodeContext } from "./deps.ts";
import { loadTlsCertificate } from "./keys.ts";
import { linkMaxBodyBytes } from "./onion/limits.ts";
import { acceptNodeLinks, type NodeLinkServer } from "./onion/node-link.ts";
import type { NodeApp } from "./server.ts";
import { guardNodeServer } from "./server-guards.ts";

export interface NodeServer {
  /** The public URL, or `unix:<socket>` for a cluster owner. */
  url: string;
  /** The port this node serves on (config.port for a cluster owner, whose workers listen there). */
  port: number;
  /** The node links accepted here. */
  links: NodeLinkServer;
  /**
   * Stops accepting and finishes requests in flight. Idle keep-alive sockets close at once, and so
   * does each one whose request completes (node:http would otherwise keep it for its keep-alive
   * timeout), and each connection that has not begun a request; whatever is still open after
   * `graceMs` is cut. Node links refuse new requests now (503) and close once the ones in hand are
   * answered.
   */
  close(graceMs: number): Promise<void>;
}

/** Creates the node's server for `ctx` and the app `createApp(ctx)` built, and listens. */
export async function listenNode(
  ctx: NodeContext,
  { app, fastPath, linkHandlers }: NodeApp,
  /** Set for a cluster owner (StartNodeOptions.owner). */
  owner: { socketPath: string; secret: string } | undefined,
): Promise<NodeServer> {
  const { config } = ctx;
  // A cluster's owner leaves TLS to its workers.
  const tls = config.http || owner ? undefined : await loadTlsCertificate(config.dataDir, config.publicIp);
  let gate: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: config.host,
    // The storage RPC fast path answers first; everything else goes to Hono's listener.
    createServer: ((options: object, listener: (req: IncomingMessage, res: ServerResponse) => void) => {
      const first = (req: IncomingMessage, res: ServerResponse) => {
        if (gate?.(req, res)) return;
        if (!fastPath(req, res)) listener(req, res);
      };
      return tls ? createHttpsServer(options, first) : createHttpServer(options, first);
    }) as typeof createHttpsServer,
    // Header/request/keep-alive (and TLS handshake) timeouts; the owner keeps its workers'
    // connections open while idle (they are few and reused).
    serverOptions: {
      ...connectionServerOptions(
        owner ? { ...config.connections, keepAliveTimeoutMs: 600_000 } : config.connections,
      ),
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    },
  }) as unknown as HttpServer;
  if (owner) {
    gate = ownerGate(ctx, server, owner.secret, linkHandlers.peer);
    // A socket file left by a node that was killed would refuse the listen.
    rmSync(owner.socketPath, { force: true });
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (owner) server.listen(owner.socketPath, resolve);
    else server.listen(config.port, config.host, resolve);
  });
  const closer = guardNodeServer(server, config, tls !== undefined);
  const links = acceptNodeLinks(server, linkHandlers, {
    maxBodyBytes: linkMaxBodyBytes(config.maxBodyBytes),
    logger: ctx.logger,
  });
  const port = owner ? config.port : (server.address() as AddressInfo).port;
  return {
    url: owner ? `unix:${owner.socketPath}` : `${config.http ? "http" : "https"}://${config.host}:${port}`,
    port,
    links,
    async close(graceMs) {
      const linksClosed = links.close(graceMs);
      await closer.close({ graceMs, pollMs: 50 });
      await linksClosed;
    },
  };
}
