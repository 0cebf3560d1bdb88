import { limitBody } from "@session/service-kit";
import type { Context, Hono } from "hono";
import { SubscribeCode } from "../domain/errors.ts";
import {
  type SubResult,
  type SubscribeDeps,
  subscribeMany,
  subscribeOne,
  unsubscribeOne,
} from "../domain/subscribe.ts";

/** spns refuses bodies over 100 000 bytes. */
export const MAX_SUB_BODY = 100_000;
/** Entries in one array request (ours; spns has no explicit cap). */
export const MAX_SUB_BATCH = 100;

/**
 * Like spns, answers are HTTP 200 with `{"success": true, …}` or `{"error": code, "message"}`
 * (one object, or an array matching an array request): clients read the body, not the status.
 */
async function handle(
  c: Context,
  deps: SubscribeDeps,
  one: (d: SubscribeDeps, b: unknown) => Promise<SubResult>,
  many?: (d: SubscribeDeps, b: readonly unknown[]) => Promise<SubResult[]>,
) {
  const raw = await c.req.arrayBuffer();
  if (raw.byteLength === 0)
    return c.json({ error: SubscribeCode.BAD_INPUT, message: "Invalid request: request body missing" });
  if (raw.byteLength > MAX_SUB_BODY)
    return c.json({ error: SubscribeCode.BAD_INPUT, message: "Invalid request: request too large" });
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return c.json({ error: SubscribeCode.BAD_INPUT, message: "Invalid JSON" });
  }
  if (Array.isArray(body)) {
    if (body.length === 0 || body.length > MAX_SUB_BATCH)
      return c.json({
        error: SubscribeCode.BAD_INPUT,
        message: `Invalid request: 1..${MAX_SUB_BATCH} entries expected`,
      });
    if (many) return c.json(await many(deps, body));
    const out: SubResult[] = [];
    for (const b of body) out.push(await one(deps, b));
    return c.json(out);
  }
  if (typeof body !== "object" || body === null)
    return c.json({
      error: SubscribeCode.BAD_INPUT,
      message: "Invalid JSON: expected object or array of objects",
    });
  return c.json(await one(deps, body));
}

/**
 * Reading stops at MAX_SUB_BODY: a larger declared length is refused unread, a chunked body as
 * soon as it passes the limit, and the connection is closed. The answer is spns's own (HTTP 200,
 * BAD_INPUT "request too large"), as Session clients read it.
 */
const limit = limitBody(MAX_SUB_BODY, { onTooLarge: (c) => subscribeTooLarge(c) });

/** spns's answer to an oversized subscription request. */
export const subscribeTooLarge = (c: Context) =>
  c.json({ error: SubscribeCode.BAD_INPUT, message: "Invalid request: request too large" });

/** The paths whose oversized bodies get `subscribeTooLarge`. */
export const SUBSCRIBE_PATHS: ReadonlySet<string> = new Set(["/subscribe", "/unsubscribe"]);

export function subscribeRoutes(app: Hono, deps: SubscribeDeps): void {
  app.post("/subscribe", limit, (c) => handle(c, deps, subscribeOne, subscribeMany));
  app.post("/unsubscribe", limit, (c) => handle(c, deps, unsubscribeOne));
}
