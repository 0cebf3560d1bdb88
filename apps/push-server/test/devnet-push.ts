import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Devnet, startDevnet } from "@session/devnet";
import { createLogger, type RunningServer, startServer } from "@session/service-kit";
import { afterAll, beforeAll } from "vitest";
import { SqlitePendingStore } from "../src/db/pending.ts";
import { SqliteSubscriptionRepo } from "../src/db/repo.ts";
import { type AppDeps, createApp, type PushServer } from "../src/server.ts";
import { seedNodeSource } from "../src/watcher/nodes.ts";
import { type FcmStandIn, startFcmStandIn } from "./fcm-stand-in.ts";

export interface DevnetPush {
  devnet: Devnet;
  fcm: FcmStandIn;
  pending: SqlitePendingStore;
  push: PushServer;
  server: RunningServer;
  stop(): Promise<void>;
}

/** Short watcher and queue retries, so the suites see reconnects and redeliveries quickly. */
const SHORT_RETRIES = { watcherRetryMs: 200, queueBaseBackoffMs: 50, queueMaxBackoffMs: 300 };

/**
 * A 6-node devnet and a push server watching it, delivering through firebase-admin to a loopback
 * stand-in for FCM (token minting too), with SQLite subscriptions and queue: the end-to-end suites'
 * and the benchmark's set-up (the benchmark keeps the production retry timings: `retries` {}).
 */
export async function startDevnetPush(
  name: string,
  retries: Pick<AppDeps, "watcherRetryMs" | "queueBaseBackoffMs" | "queueMaxBackoffMs"> = SHORT_RETRIES,
): Promise<DevnetPush> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const devnet = await startDevnet({
    nodes: 6,
    dataDir: join(dir, "devnet"),
    fileServer: false,
    pushServer: false,
  });
  const { fcm, notifier: fcmNotifier, close: closeFcm } = await startFcmStandIn(dir);
  const repo = SqliteSubscriptionRepo.open(join(dir, "push.sqlite"));
  const pending = SqlitePendingStore.open(join(dir, "push.sqlite"));
  const push = createApp({
    repo,
    pending,
    notifiers: new Map([["firebase", fcmNotifier]]),
    logger: createLogger({ name: "push-e2e", level: "silent" }),
    fetch: devnet.nodeFetch,
    listNodes: seedNodeSource([devnet.seed]),
    nodeScheme: devnet.nodeScheme,
    ...retries,
  });
  await push.start();
  const server = await startServer(push.app, { port: 0, hostname: "127.0.0.1", graceMs: 500 });
  return {
    devnet,
    fcm,
    pending,
    push,
    server,
    async stop() {
      await push.stop();
      await server.close();
      await closeFcm();
      await devnet.stop();
      await pending.close();
      await repo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts the set-up before the suite's tests (handing it to `started`) and stops it after them. */
export function devnetPushSuite(name: string, started: (net: DevnetPush) => void): void {
  let net: DevnetPush | undefined;
  beforeAll(async () => {
    net = await startDevnetPush(name);
    started(net);
  }, 120_000);
  afterAll(async () => {
    await net?.stop();
  });
}
