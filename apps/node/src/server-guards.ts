import type { Server as HttpServer } from "node:http";
import {
  capConnectionsPerAddress,
  closeAfterUnreadBody,
  DEFAULT_CONNECTION_LIMITS,
  gracefulCloser,
} from "@session/service-kit";
import type { NodeConfig } from "./config.ts";

/**
 * The guards every node listener gets (the single process's, the cluster owner's and each
 * worker's): an unread body closes its connection, the per-address connection cap, and the
 * graceful closer its stop uses.
 */
export function guardNodeServer(server: HttpServer, config: NodeConfig, tls: boolean) {
  closeAfterUnreadBody(server);
  capConnectionsPerAddress(
    server,
    config.connections?.maxConnectionsPerAddress ?? DEFAULT_CONNECTION_LIMITS.maxConnectionsPerAddress,
  );
  return gracefulCloser(server, tls);
}
