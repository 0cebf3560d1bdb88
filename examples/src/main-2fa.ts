import { z } from "zod";
import { jsonServer, listen, serviceClient, serviceEnv, stopOnSignal } from "./service.ts";
import { TwoFactorSender } from "./two-factor.ts";

/*
 * `pnpm --filter @session/examples start:2fa`: the anonymous 2FA sender as a service.
 *   POST /codes  { "sessionId": "05…" }            → 200 { sent: true, expires } | 429 { retryAfterSeconds }
 *   POST /verify { "sessionId": "05…", "code": "…" } → 200 { valid: boolean }
 * Env: SESSION_NETWORK, SESSION_DATA_DIR, PORT.
 */
const sessionId = z.string().regex(/^05[0-9a-fA-F]{64}$/, "sessionId must be a 05 Session ID");
const codesBody = z.object({ sessionId });
const verifyBody = z.object({ sessionId, code: z.string().regex(/^\d{6}$/, "code must be 6 digits") });

function bad(err: z.ZodError) {
  return {
    status: 400,
    body: { error: { code: "BAD_REQUEST", message: err.issues.map((i) => i.message).join("; ") } },
  };
}

const env = serviceEnv();
const client = await serviceClient(env);
const sender = new TwoFactorSender(client);
const resumed = await sender.resume();
const server = jsonServer({
  "POST /codes": async (body) => {
    const p = codesBody.safeParse(body);
    if (!p.success) return bad(p.error);
    const r = await sender.sendCode(p.data.sessionId);
    return { status: r.sent ? 200 : 429, body: r };
  },
  "POST /verify": async (body) => {
    const p = verifyBody.safeParse(body);
    if (!p.success) return bad(p.error);
    return { status: 200, body: { valid: await sender.verify(p.data.sessionId, p.data.code) } };
  },
});
const port = await listen(server, env.port);
stopOnSignal(server, client);
process.stdout.write(
  `2fa sender ${client.sessionId} listening on http://127.0.0.1:${port} (resumed ${resumed})\n`,
);
