import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { Logger } from "pino";
import {
  type ConnectionLimits,
  capConnectionsPerAddress,
  closeAfterUnreadBody,
  connectionServerOptions,
  DEFAULT_CONNECTION_LIMITS,
} from "./connection-limits.ts";
import { gracefulCloser } from "./graceful-close.ts";

/** Requests in flight when a server stops get this long to finish, then their connections are cut. */
export const DEFAULT_GRACE_MS = 3_000;

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its Env/Schema types
type AnyHono = Hono<any, any, any>;

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:39211`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, waits for open requests up to the grace period, then runs onClose. */
  close(): Promise<void>;
  /** Connections open from `address` as the per-address cap counts them (0 when there is no cap). */
  openConnectionsFrom(address: string): number;
}

export interface StartServerOptions {
  port: number;
  hostname?: string;
  /**
   * How long close() waits for in-flight requests before cutting connections (default
   * DEFAULT_GRACE_MS: a stop finishes well inside an orchestrator's grace, 10 s for `docker stop`).
   */
  graceMs?: number;
  /** Runs after the HTTP server is closed: close databases, stop timers. */
  onClose?: () => Promise<void> | void;
  /** Header/request/keep-alive timeouts and the per-address connection cap (DEFAULT_CONNECTION_LIMITS). */
  connections?: Partial<ConnectionLimits>;
}

/** Listens with @hono/node-server; port 0 picks a free port (tests). */
export function startServer(app: AnyHono, options: StartServerOptions): Promise<RunningServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const serverOptions = connectionServerOptions(options.connections);
    const server = serve(
      { fetch: app.fetch, port: options.port, hostname, serverOptions },
      (info: AddressInfo) => {
        const closer = gracefulCloser(server as HttpServer, false);
        let closing: Promise<void> | undefined;
        const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${host}:${info.port}`,
          port: info.port,
          openConnectionsFrom: (address) => perAddress.openFrom(address),
          close: () => {
            closing ??= (async () => {
              // Keep-alive sockets go as soon as their current response is done, and connections
              // that have not begun a request at once.
              await closer.close({ graceMs: options.graceMs ?? DEFAULT_GRACE_MS, pollMs: 20 });
              await options.onClose?.();
            })();
            return closing;
          },
        });
      },
    );
    closeAfterUnreadBody(server as HttpServer);
    const perAddress = capConnectionsPerAddress(
      server as HttpServer,
      options.connections?.maxConnectionsPerAddress ?? DEFAULT_CONNECTION_LIMITS.maxConnectionsPerAddress,
    );
    server.once("error", reject);
  });
}

/** A second signal within this long of the first is the same stop request. */
const DUPLICATE_SIGNAL_MS = 1000;

/** Closes the server on SIGTERM/SIGINT and exits; a second signal exits at once. */
export function exitOnSignals(
  server: Pick<RunningServer, "close">,
  logger: Logger,
  signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT"],
) {
  let stoppingAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingAt !== undefined) {
      // Ctrl-C under `pnpm start` delivers SIGINT twice (the terminal's to the process group and
      // pnpm's forwarded copy): one request. A later second signal forces the exit.
      if (Date.now() - stoppingAt < DUPLICATE_SIGNAL_MS) return;
      process.exit(1);
    }
    stoppingAt = Date.now();
    logger.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
}
