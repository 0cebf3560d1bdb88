import { readFileSync } from "node:fs";
import { toHex } from "@session/crypto";
import { nodeHttp } from "@session/node-tls";
import { connectionLimitsFromEnv, createLogger, loadServerKeys, serveService } from "@session/service-kit";
import { configFromEnv } from "./config.ts";
import { openPendingStore } from "./db/pending.ts";
import { openSubscriptionRepo } from "./db/repo.ts";
import { ApnsNotifier } from "./notifiers/apns.ts";
import { FcmNotifier } from "./notifiers/fcm.ts";
import { LogNotifier } from "./notifiers/log.ts";
import type { Notifier } from "./notifiers/types.ts";
import { createApp } from "./server.ts";
import { indexerNodeSource, seedNodeSource } from "./watcher/nodes.ts";

const env = configFromEnv(process.env, "exit", process.argv.slice(2));
const logger = createLogger({ name: "push-server", level: env.LOG_LEVEL });
const repo = await openSubscriptionRepo(env.DATABASE_URL);
const pending = await openPendingStore(env.DATABASE_URL);
const x25519Keys = await loadServerKeys(env.KEY_FILE, env.PUSH_X25519_SECRET_KEY);

const notifiers = new Map<string, Notifier>();
if (env.FIREBASE_NOTIFIER === "log") notifiers.set("firebase", new LogNotifier("firebase", logger));
if (env.FIREBASE_NOTIFIER === "fcm") {
  const fcm = new FcmNotifier({
    serviceAccountFile: env.FCM_SERVICE_ACCOUNT_FILE ?? "",
    ...(env.FCM_CONNECT_TO ? { connectTo: env.FCM_CONNECT_TO } : {}),
    ...(env.FCM_EXTRA_CA_FILE ? { extraCa: readFileSync(env.FCM_EXTRA_CA_FILE, "utf8") } : {}),
  });
  notifiers.set("firebase", fcm);
  logger.info({ project: fcm.projectId, connectTo: env.FCM_CONNECT_TO }, "FCM notifier (firebase-admin)");
}
if (env.APNS_NOTIFIER === "log") notifiers.set("apns", new LogNotifier("apns", logger));
if (env.APNS_NOTIFIER === "apns") {
  notifiers.set(
    "apns",
    new ApnsNotifier({
      endpoint: env.APNS_ENDPOINT,
      teamId: env.APNS_TEAM_ID ?? "",
      keyId: env.APNS_KEY_ID ?? "",
      privateKeyPem: readFileSync(env.APNS_KEY_FILE ?? "", "utf8"),
      topic: env.APNS_TOPIC ?? "",
    }),
  );
}

// Monitor streams to nodes on the node-only dispatcher (nodes are self-signed); the indexer, FCM and
// APNs keep certificate-checking clients.
const nodeTls = nodeHttp();
const push = createApp({
  repo,
  pending,
  notifiers,
  logger,
  fetch: nodeTls.fetch,
  listNodes: env.INDEXER_URL ? indexerNodeSource(env.INDEXER_URL, fetch) : seedNodeSource(env.SEED_NODES),
  x25519Keys,
  nodeScheme: env.NODE_SCHEME,
  nodesPerAccount: env.NODES_PER_ACCOUNT,
  queueMax: env.QUEUE_MAX,
  queueMaxBackoffMs: env.QUEUE_MAX_BACKOFF_MS,
});
await push.start();
const server = await serveService(push.app, logger, {
  port: env.PORT,
  hostname: env.HOST,
  connections: connectionLimitsFromEnv(env),
  onClose: async () => {
    await push.stop();
    await nodeTls.close();
    for (const n of notifiers.values()) await n.close?.();
    await pending.close();
    await repo.close();
  },
});
logger.info({ url: server.url, x25519: toHex(x25519Keys.publicKey) }, "push server listening");
