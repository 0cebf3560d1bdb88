import type { SessionClient } from "@session/client";
import { createLogger, type Logger, type RunningServer, serveService } from "@session/service-kit";
import type { Hono } from "hono";
import { broadcasterApp, twoFactorApp } from "./api.ts";
import { Broadcaster } from "./broadcaster.ts";
import type { ExampleConfig, ExampleName } from "./config.ts";
import { serviceClient } from "./service.ts";
import { TwoFactorSender } from "./two-factor.ts";

/** What each example needs before it can serve: its app, and how many interrupted sends it finished. */
type Setup = (client: SessionClient, logger: Logger) => Promise<{ app: Hono; resumed: number }>;

const setups: Record<ExampleName, Setup> = {
  "2fa": async (client, logger) => {
    const sender = new TwoFactorSender(client);
    const resumed = await sender.resume();
    return { app: twoFactorApp(sender, logger), resumed };
  },
  broadcaster: async (client, logger) => {
    const bot = new Broadcaster(client);
    const resumed = await bot.resume();
    // One command at a time, in the order received; an announcement waits for the queue.
    let inbox: Promise<void> = Promise.resolve();
    client.on("message", (m) => {
      inbox = inbox
        .then(() => bot.handle(m.from, m.text))
        .catch((err: unknown) => logger.error({ err }, "command failed"));
    });
    client.on("error", (err) => logger.warn({ err }, "poll failed"));
    client.start();
    return { app: broadcasterApp(bot, () => inbox, logger), resumed };
  },
};

const labels: Record<ExampleName, string> = { "2fa": "2fa sender", broadcaster: "broadcaster" };

/**
 * Runs one example service until SIGTERM/SIGINT: its account from the data dir, connected, any
 * send a previous run left half done finished, then the HTTP API. The first stdout line names the
 * service's Session ID and URL (tests and operators read it); the rest is the JSON log.
 */
export async function runExample(config: ExampleConfig): Promise<RunningServer> {
  const logger = createLogger({ name: `example-${config.EXAMPLE}`, level: config.LOG_LEVEL });
  const client = await serviceClient({ network: config.SESSION_NETWORK, dataDir: config.SESSION_DATA_DIR });
  const { app, resumed } = await setups[config.EXAMPLE](client, logger);
  const server = await serveService(app, logger, {
    port: config.PORT,
    hostname: config.HOST,
    onClose: () => client.close(),
  });
  process.stdout.write(
    `${labels[config.EXAMPLE]} ${client.sessionId} listening on ${server.url} (resumed ${resumed})\n`,
  );
  return server;
}
