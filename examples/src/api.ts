import { ClientError } from "@session/client";
import { errorToResponseParts, type Logger, limitBody } from "@session/service-kit";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { Broadcaster } from "./broadcaster.ts";
import type { TwoFactorSender } from "./two-factor.ts";

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The frame both services share: `GET /health`, a body limit, JSON bodies, and errors as
 * `{ error: { code, message } }`. A client error that a retry cannot fix (an unknown recipient,
 * a bad ID) is the caller's 400; a network failure is 502, so the caller knows to try again.
 */
function serviceApp(logger: Logger): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ ok: true }));
  app.use("*", limitBody(MAX_BODY_BYTES));
  app.onError((err, c) => {
    if (err instanceof ClientError) {
      const status = err.retryable ? 502 : 400;
      if (status === 502) logger.warn({ err }, "network request failed");
      return c.json({ error: { code: err.code, message: err.message } }, status);
    }
    const { status, body } = errorToResponseParts(err);
    if (status >= 500) logger.error({ err }, "request failed");
    return c.json(body, status as ContentfulStatusCode);
  });
  app.notFound((c) =>
    c.json({ error: { code: "NOT_FOUND", message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  return app;
}

/** A JSON body parsed by `schema`: the value, or the 400 to answer. */
async function body<T>(
  req: Request,
  schema: z.ZodType<T>,
): Promise<{ ok: true; value: T } | { ok: false; res: Response }> {
  let raw: unknown;
  try {
    const text = await req.text();
    raw = text ? JSON.parse(text) : {};
  } catch {
    return {
      ok: false,
      res: Response.json({ error: { code: "BAD_JSON", message: "the body is not JSON" } }, { status: 400 }),
    };
  }
  const p = schema.safeParse(raw);
  if (p.success) return { ok: true, value: p.data };
  const message = p.error.issues.map((i) => i.message).join("; ");
  return { ok: false, res: Response.json({ error: { code: "BAD_REQUEST", message } }, { status: 400 }) };
}

const sessionId = z.string().regex(/^05[0-9a-fA-F]{64}$/, "sessionId must be a 05 Session ID");
const codesBody = z.object({ sessionId });
const verifyBody = z.object({ sessionId, code: z.string().regex(/^\d{6}$/, "code must be 6 digits") });

/**
 * The 2FA sender's API:
 *   POST /codes  { sessionId }       → 200 { sent: true, expires } | 429 { sent: false, retryAfterSeconds }
 *   POST /verify { sessionId, code } → 200 { valid }
 */
export function twoFactorApp(sender: TwoFactorSender, logger: Logger): Hono {
  const app = serviceApp(logger);
  app.post("/codes", async (c) => {
    const b = await body(c.req.raw, codesBody);
    if (!b.ok) return b.res;
    const r = await sender.sendCode(b.value.sessionId);
    return c.json(r, r.sent ? 200 : 429);
  });
  app.post("/verify", async (c) => {
    const b = await body(c.req.raw, verifyBody);
    if (!b.ok) return b.res;
    return c.json({ valid: await sender.verify(b.value.sessionId, b.value.code) });
  });
  return app;
}

const announceBody = z.object({
  text: z.string().min(1, "text must not be empty").max(2000, "text is over 2000 characters"),
});

/**
 * The broadcaster's operator API:
 *   POST /announce { text } → 200 { sent }
 *   GET  /subscribers       → 200 { count }
 * `inbox()` is the command queue's tail: an announcement waits for the commands read before it.
 */
export function broadcasterApp(bot: Broadcaster, inbox: () => Promise<void>, logger: Logger): Hono {
  const app = serviceApp(logger);
  app.post("/announce", async (c) => {
    const b = await body(c.req.raw, announceBody);
    if (!b.ok) return b.res;
    await inbox();
    return c.json({ sent: await bot.announce(b.value.text) });
  });
  app.get("/subscribers", async (c) => c.json({ count: (await bot.subscribers()).length }));
  return app;
}
