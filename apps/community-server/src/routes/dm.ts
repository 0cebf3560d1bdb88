import type { Hono } from "hono";
import type { DomainDeps } from "../domain/context.ts";
import { clearInbox, dmBox, sendDm } from "../domain/dm.ts";
import { badRequest, notFound } from "../errors.ts";
import {
  base64Field,
  type C,
  type Env,
  intParam,
  jsonB64,
  jsonBody,
  limitQuery,
  requireBlindUser,
  requireUser,
} from "./context.ts";

const BLINDED_RE = /^(15|25)[0-9a-f]{64}$/;

export function registerDmRoutes(app: Hono<Env>, deps: DomainDeps, admitDm: (sessionId: string) => void) {
  const box = (which: "in" | "out", polling: boolean) => async (c: C) => {
    const user = requireBlindUser(c);
    const since = polling ? intParam(c, "id") : undefined;
    const msgs = await dmBox(deps, user, which, since, limitQuery(c));
    if (msgs.length === 0 && since !== undefined) return c.body(null, 304);
    return jsonB64(c, msgs);
  };
  app.get("/inbox", box("in", false));
  app.get("/inbox/since/:id", box("in", true));
  app.get("/outbox", box("out", false));
  app.get("/outbox/since/:id", box("out", true));
  app.post("/inbox/:sid", async (c) => {
    const sid = c.req.param("sid");
    if (!BLINDED_RE.test(sid)) throw notFound();
    const user = requireUser(c);
    admitDm(user.sessionId);
    const req = jsonBody(c);
    if (req.message === undefined || req.message === null) throw badRequest("No message provided");
    const { message: _omit, ...view } = await sendDm(deps, user, sid, base64Field(req, "message"));
    return c.json(view, 201);
  });
  app.delete("/inbox", async (c) => c.json({ deleted: await clearInbox(deps, requireBlindUser(c)) }));
}
