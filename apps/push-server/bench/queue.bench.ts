// The durable delivery queue on its own: how fast notifications are stored (the watcher waits for
// this before it reads the next message) and how fast a backlog drains through firebase-admin to
// the loopback FCM stand-in (8 sends in flight), on a SQLite file and on PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@session/service-kit";
import postgres from "postgres";
import { Registry } from "prom-client";
import { type PendingStore, PgPendingStore, SqlitePendingStore } from "../src/db/pending.ts";
import { NotificationQueue } from "../src/domain/queue.ts";
import { startFcmStandIn } from "../test/fcm-stand-in.ts";
import { waitFor } from "../test/helpers.ts";

const N = 2000;
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `push_queue_bench_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "push-queue-bench-"));
const { fcm, notifier, close: closeFcm } = await startFcmStandIn(dir, "bench");
const logger = createLogger({ name: "bench", level: "silent" });
// A notification's size as sent: 256-byte padded plaintext + 24-byte nonce + 16-byte tag.
const payload = new Uint8Array(296).fill(7);

async function run(name: string, store: PendingStore) {
  const q = new NotificationQueue({
    store,
    notifiers: new Map([["firebase", notifier]]),
    onInvalidToken: async () => {},
    logger,
    registry: new Registry(),
  });
  let t0 = performance.now();
  for (let i = 0; i < N; i++)
    await q.enqueue({ service: "firebase", token: `tok-${i % 50}`, encPayload: payload });
  const storeS = (performance.now() - t0) / 1000;
  const before = fcm.received.length;
  t0 = performance.now();
  await q.start();
  await waitFor("drain", () => fcm.received.length - before >= N && q.size === 0, 120_000);
  const drainS = (performance.now() - t0) / 1000;
  console.log(
    `  ${name.padEnd(10)} store ${(N / storeS).toFixed(0)} notifications/s (one at a time, awaited)   drain ${(N / drainS).toFixed(0)} notifications/s (${N} queued, 8 in flight)`,
  );
  await q.stop();
  await store.close();
}

console.log("push-server durable queue (FCM through firebase-admin to the loopback TLS stand-in)");
await run("sqlite", SqlitePendingStore.open(join(dir, "pending.sqlite")));
await run("postgres", await PgPendingStore.open(PG_URL, schema));
await closeFcm();
const sql = postgres(PG_URL, { onnotice: () => {} });
await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await sql.end();
rmSync(dir, { recursive: true, force: true });
