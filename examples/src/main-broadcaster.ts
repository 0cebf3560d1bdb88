import { z } from "zod";
import { Broadcaster } from "./broadcaster.ts";
import { jsonServer, listen, serviceClient, serviceEnv, stopOnSignal } from "./service.ts";

/*
 * `pnpm --filter @session/examples start:broadcaster`: the notification bot as a service. Users
 * message it "subscribe" / "stop"; the operator announces with
 *   POST /announce { "text": "…" } → 200 { sent }
 *   GET  /subscribers             → 200 { count }
 * Env: SESSION_NETWORK, SESSION_DATA_DIR, PORT.
 */
const announceBody = z.object({ text: z.string().min(1).max(2000) });

const env = serviceEnv();
const client = await serviceClient(env);
const bot = new Broadcaster(client);
const resumed = await bot.resume();
// One inbox pass at a time; commands are handled in order.
let inbox: Promise<void> = Promise.resolve();
client.on("message", (m) => {
  inbox = inbox
    .then(() => bot.handle(m.from, m.text))
    .catch((e: Error) => {
      process.stderr.write(`${e.message}\n`);
    });
});
client.on("error", (e) => process.stderr.write(`poll failed: ${e.message}\n`));
client.start();
const server = jsonServer({
  "POST /announce": async (body) => {
    const p = announceBody.safeParse(body);
    if (!p.success)
      return { status: 400, body: { error: { code: "BAD_REQUEST", message: p.error.message } } };
    await inbox;
    return { status: 200, body: { sent: await bot.announce(p.data.text) } };
  },
  "GET /subscribers": async () => ({ status: 200, body: { count: (await bot.subscribers()).length } }),
});
const port = await listen(server, env.port);
stopOnSignal(server, client);
process.stdout.write(
  `broadcaster ${client.sessionId} listening on http://127.0.0.1:${port} (resumed ${resumed})\n`,
);
