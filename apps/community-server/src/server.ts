import {
  createMetrics,
  isOnionRequest,
  ONION_ENV_KEY,
  onionV4Handler,
  requestLogger,
  TokenBuckets,
  type X25519Keys,
} from "@session/service-kit";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { Logger } from "pino";
import { Counter } from "prom-client";
import { signedPathOf } from "./auth/signature.ts";
import { authenticate } from "./auth/verify.ts";
import type { Db } from "./db/sql.ts";
import type { CommunityLimits, DomainDeps } from "./domain/context.ts";
import type { User } from "./domain/users.ts";
import { SogsError } from "./errors.ts";
import { registerBatchRoutes, SUBREQUEST_ENV_KEY, type SubrequestEnv } from "./routes/batch.ts";
import type { Env } from "./routes/context.ts";
import { registerDmRoutes } from "./routes/dm.ts";
import { registerMessageRoutes } from "./routes/messages.ts";
import { registerRoomRoutes } from "./routes/rooms.ts";
import { registerUserRoutes } from "./routes/users.ts";

export interface RateLimits {
  /** Requests per minute from one signing (blinded) ID, every route. */
  userRequestsPerMinute: number;
  /** Posts and edits per minute by one ID in one room. */
  userPostsPerMinute: number;
  /** Posts and edits per minute in one room, all posters together. */
  roomPostsPerMinute: number;
  /** Blinded DMs sent per minute by one ID. */
  userDmsPerMinute: number;
  /** Anonymous (unsigned) requests per minute, all together. */
  anonymousRequestsPerMinute: number;
  /** Onion requests per minute from one forwarding node. */
  nodeRequestsPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  userRequestsPerMinute: 600,
  userPostsPerMinute: 20,
  roomPostsPerMinute: 600,
  userDmsPerMinute: 30,
  anonymousRequestsPerMinute: 6000,
  nodeRequestsPerMinute: 6000,
};

export interface AppDeps {
  db: Db;
  keys: X25519Keys;
  /** Unix milliseconds. */
  now: () => number;
  logger: Logger;
  limits: CommunityLimits;
  rateLimits: RateLimits;
  /** Serve the API over plain HTTP too. Off in production: clients come through onion requests. */
  directClientRoutes: boolean;
}

/** SOGS capabilities: `blind` when unblinded keys are refused. */
export function capabilities(limits: CommunityLimits): string[] {
  return ["sogs", "reactions", ...(limits.requireBlinded ? ["blind"] : [])].sort();
}

const ONION_OVERHEAD_BYTES = 64 * 1024;

export interface CommunityServer {
  app: Hono<Env>;
  deps: DomainDeps;
  /** Removes expired files, nonces and DMs; returns rows removed. */
  sweep(): Promise<number>;
}

export function createApp(deps: AppDeps): Hono<Env> {
  return createCommunityServer(deps).app;
}

export function createCommunityServer(deps: AppDeps): CommunityServer {
  const app = new Hono<Env>();
  const domain: DomainDeps = {
    db: deps.db,
    now: deps.now,
    serverPk: deps.keys.publicKey,
    limits: deps.limits,
  };
  const metrics = createMetrics({ prefix: "community_" });
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [metrics.registry] });
  const posts = counter("community_posts_total", "Messages posted or edited");
  const refused = counter("community_auth_refused_total", "Requests refused by SOGS request authentication");
  const limited = counter("community_rate_limited_total", "Requests refused by a rate limit");
  const perMinute = (n: number) =>
    new TokenBuckets({ capacity: n, refillPerSecond: n / 60, now: deps.now, maxKeys: 100_000 });
  const r = deps.rateLimits;
  const userBuckets = perMinute(r.userRequestsPerMinute);
  const userPostBuckets = perMinute(r.userPostsPerMinute);
  const roomPostBuckets = perMinute(r.roomPostsPerMinute);
  const dmBuckets = perMinute(r.userDmsPerMinute);
  const anonBuckets = perMinute(r.anonymousRequestsPerMinute);
  const nodeBuckets = perMinute(r.nodeRequestsPerMinute);
  const tooMany = (what: string) => {
    limited.inc();
    return new SogsError(429, `Rate limited: ${what}`);
  };

  app.use(metrics.middleware);
  app.use(requestLogger(deps.logger));
  app.onError((err, c) => {
    if (err instanceof SogsError) return c.text(err.message, err.status);
    deps.logger.error({ err, route: c.req.routePath }, "request failed");
    return c.text("Internal server error", 500);
  });
  app.notFound((c) => c.text("Not found", 404));

  app.get("/health", async (c) => {
    await deps.db.one(sql`SELECT 1 AS ok`);
    return c.json({ status: "ok" });
  });
  app.get("/metrics", metrics.handler);
  app.post("/oxen/v4/lsrpc", async (c, next) => {
    const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
    if (!nodeBuckets.take(env?.incoming?.socket?.remoteAddress ?? "unknown")) throw tooMany("onion requests");
    await next();
  });
  app.post(
    "/oxen/v4/lsrpc",
    onionV4Handler({
      x25519Keys: deps.keys,
      // biome-ignore lint/suspicious/noExplicitAny: the handler takes any Hono app
      app: app as any,
      maxBodyBytes: deps.limits.maxFileBytes + ONION_OVERHEAD_BYTES,
      logger: deps.logger,
    }),
  );

  // Every API route: direct-access policy, SOGS authentication (once, on the outer request of a
  // batch), then the per-ID or anonymous request budget.
  app.use("*", async (c, next) => {
    const path = c.req.path;
    if (path === "/health" || path === "/metrics" || path === "/oxen/v4/lsrpc") return next();
    const sub = (c.env as Record<string, unknown> | undefined)?.[SUBREQUEST_ENV_KEY] as
      | SubrequestEnv
      | undefined;
    if (!deps.directClientRoutes && !isOnionRequest(c) && !sub) {
      throw new SogsError(403, "direct access is disabled: send this request as an onion request");
    }
    const body = ["GET", "HEAD"].includes(c.req.method)
      ? new Uint8Array(0)
      : new Uint8Array(await c.req.arrayBuffer());
    if (body.length > deps.limits.maxFileBytes + 1024) throw new SogsError(413, "Request body too large");
    c.set("rawBody", body);
    let user: User | null;
    if (sub) {
      user = sub.user;
    } else {
      try {
        user = await authenticate(domain, {
          method: c.req.method,
          pathAndQuery: signedPathOf(c.req.url),
          header: (n) => c.req.header(n),
          body,
        });
      } catch (err) {
        if (err instanceof SogsError) refused.inc();
        throw err;
      }
      if (user ? !userBuckets.take(user.sessionId) : !anonBuckets.take("anonymous"))
        throw tooMany("too many requests");
    }
    c.set("user", user);
    await next();
  });

  app.get("/capabilities", (c) => {
    const caps = capabilities(deps.limits);
    const required = c.req.query("required");
    const missing = required === undefined ? [] : required.split(",").filter((x) => !caps.includes(x));
    return missing.length > 0 ? c.json({ capabilities: caps, missing }, 412) : c.json({ capabilities: caps });
  });
  registerRoomRoutes(app, domain);
  registerMessageRoutes(app, domain, {
    admitPost: (room, sessionId) => {
      if (!userPostBuckets.take(`${room}\u0000${sessionId}`))
        throw tooMany("too many posts from you in this room");
      if (!roomPostBuckets.take(room)) throw tooMany("too many posts in this room");
      posts.inc();
    },
  });
  registerUserRoutes(app, domain);
  registerDmRoutes(app, domain, (sessionId) => {
    if (!dmBuckets.take(sessionId)) throw tooMany("too many messages");
  });
  registerBatchRoutes(app, (c) => ({
    user: c.get("user"),
    onion: (c.env as Record<string, unknown> | undefined)?.[ONION_ENV_KEY],
  }));

  const sweep = async () => {
    const nowS = deps.now() / 1000;
    let n = 0;
    n += await deps.db.exec(sql`DELETE FROM files WHERE expiry IS NOT NULL AND expiry <= ${nowS}`);
    n += await deps.db.exec(sql`DELETE FROM request_nonces WHERE expiry <= ${nowS}`);
    n += await deps.db.exec(sql`DELETE FROM inbox WHERE expiry <= ${nowS}`);
    await deps.db.exec(sql`UPDATE room_permissions SET banned = 0, ban_expires = NULL
      WHERE banned = 1 AND ban_expires IS NOT NULL AND ban_expires <= ${nowS}`);
    await deps.db.exec(sql`UPDATE users SET banned = 0, ban_expires = NULL
      WHERE banned = 1 AND ban_expires IS NOT NULL AND ban_expires <= ${nowS}`);
    return n;
  };
  return { app, deps: domain, sweep };
}
