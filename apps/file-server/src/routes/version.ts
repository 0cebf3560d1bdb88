import { ProtocolError } from "@session/protocol";
import type { Hono, MiddlewareHandler } from "hono";
import { z } from "zod";

export type SessionVersions = Partial<Record<"desktop" | "android" | "ios", string>>;

const platformSchema = z.enum(["desktop", "android", "ios"]);

/**
 * `GET /session_version?platform=…` (deprecated in Session's API). The reference server proxies
 * GitHub releases; ours has no outbound network, so the operator configures the versions
 * (FS_SESSION_VERSIONS) and `updated` is when they were loaded.
 */
export function registerVersionRoutes(
  app: Hono,
  versions: SessionVersions | undefined,
  loadedAtMs: number,
  guard: (name: string) => MiddlewareHandler,
) {
  app.get("/session_version", guard("version"), (c) => {
    const platform = platformSchema.safeParse(c.req.query("platform"));
    if (!platform.success) throw new ProtocolError("NOT_FOUND", "no such platform");
    const version = versions?.[platform.data];
    if (!version) throw new ProtocolError("BAD_GATEWAY", "no release version configured for this platform");
    return c.json({ status_code: 200, result: version, updated: loadedAtMs / 1000 });
  });
}
