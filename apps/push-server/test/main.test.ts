import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPushNotification } from "@session/client";
import { randomBytesArray, toBase64 } from "@session/crypto";
import { configFromEnv, nodeEnvSchema, type RunningNode, startNode, writeRegistryFile } from "@session/node";
import { certFingerprint, nodeHttp } from "@session/node-tls";
import { runService } from "@session/service-kit/testing";
import { afterEach, describe, expect, it } from "vitest";
import { FcmStandIn, testServiceAccount } from "./fcm-stand-in.ts";
import { newAccount, subscribeBody, waitFor } from "./helpers.ts";

const main = join(import.meta.dirname, "..", "src", "main.ts");
const run = (env: Record<string, string>) => runService(main, env);
let dataDir: string | undefined;

afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("main", () => {
  it("starts from the environment, serves /subscribe and stops on SIGTERM", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "push-main-"));
    const p = run({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: join(dataDir, "push.sqlite"),
      KEY_FILE: join(dataDir, "x25519.key"),
      SEED_NODES: "http://127.0.0.1:9",
      NODE_SCHEME: "http",
    });
    const started = await p.line(/push server listening/);
    expect(started.x25519).toMatch(/^[0-9a-f]{64}$/);
    const url = String(started.url);
    const res = await fetch(`${url}/subscribe`, {
      method: "POST",
      body: JSON.stringify(subscribeBody(newAccount())),
    });
    expect(await res.json()).toMatchObject({ success: true, added: true });
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true, queued: 0 });
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  }, 30_000);

  it("exits 1 naming the bad variables", async () => {
    const p = run({ PORT: "nope" });
    expect(await p.exited).toBe(1);
    expect(p.output().err).toMatch(/PORT/);
  }, 30_000);

  it("keeps notifications queued while FCM is down through SIGTERM and delivers them after a restart", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "push-main-"));
    const dir = dataDir;
    // One storage node on loopback (its own swarm) for the process to watch, on HTTPS with its
    // self-signed certificate as in production: the process pins it as its seed and watches it
    // through its node-only dispatcher.
    const registry = join(dir, "registry.json");
    await writeRegistryFile(registry, []);
    const node: RunningNode = await startNode(
      configFromEnv(
        nodeEnvSchema.parse({
          SESSION_NODE_DATA_DIR: join(dir, "node"),
          PORT: "0",
          REGISTRY_FILE: registry,
          LOG_LEVEL: "silent",
        }),
      ),
    );
    await writeRegistryFile(registry, [node.info]);
    await node.refreshRegistry();
    expect(node.url).toMatch(/^https:/);
    const pin = certFingerprint(await readFile(join(dir, "node", "tls.crt"), "utf8"));
    const toNode = nodeHttp();
    // The FCM stand-in takes a port and goes down: the first process finds nothing there.
    const account = testServiceAccount("session-test");
    const fcm = new FcmStandIn(account);
    await fcm.start();
    const fcmPort = fcm.port;
    await fcm.stop();
    await writeFile(join(dir, "sa.json"), JSON.stringify(account));
    await writeFile(join(dir, "ca.pem"), fcm.ca);
    const env = {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "debug",
      DATABASE_URL: join(dir, "push.sqlite"),
      KEY_FILE: join(dir, "x25519.key"),
      SEED_NODES: `${node.url}#sha256=${pin}`,
      NODE_SCHEME: "https",
      FIREBASE_NOTIFIER: "fcm",
      FCM_SERVICE_ACCOUNT_FILE: join(dir, "sa.json"),
      FCM_CONNECT_TO: `127.0.0.1:${fcmPort}`,
      FCM_EXTRA_CA_FILE: join(dir, "ca.pem"),
      QUEUE_MAX_BACKOFF_MS: "400",
    };
    try {
      const first = run(env);
      const url = String((await first.line(/push server listening/)).url);
      const bob = newAccount();
      const encKey = randomBytesArray(32);
      const sub = await fetch(`${url}/subscribe`, {
        method: "POST",
        body: JSON.stringify(subscribeBody(bob, { token: "bob-phone", encKey, namespaces: [0] })),
      });
      expect(await sub.json()).toMatchObject({ success: true, added: true });
      const queued = async () => ((await (await fetch(`${url}/health`)).json()) as { queued: number }).queued;
      // Once the node has accepted bob on the push server's monitor stream (opened in the
      // background), every message stored there is reported: store two.
      await waitFor("bob watched on an open stream", async () =>
        /^push_monitor_stream_accounts\{[^}]*\} [1-9]/m.test(await (await fetch(`${url}/metrics`)).text()),
      );
      const hashes: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await toNode.fetch(`${node.url}/storage_rpc/v1`, {
          method: "POST",
          body: JSON.stringify({
            method: "store",
            params: {
              pubkey: bob.sessionId,
              namespace: 0,
              timestamp: Date.now(),
              ttl: 600_000,
              data: toBase64(new TextEncoder().encode(`msg ${i} ${Math.random()}`)),
            },
          }),
        });
        expect(r.status).toBe(200);
        hashes.push(((await r.json()) as { hash: string }).hash);
      }
      await waitFor("two queued notifications", async () => (await queued()) >= 2);
      await first.line(/delivery failed: will retry/);
      const pendingAtStop = await queued();
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);

      // FCM is back on the same address; a new process resumes the stored notifications.
      await fcm.start(fcmPort);
      const second = run(env);
      const resumed = await second.line(/resuming pending notifications/);
      expect(resumed.pending).toBe(pendingAtStop);
      await waitFor("redelivery", () => fcm.received.length >= pendingAtStop);
      const url2 = String((await second.line(/push server listening/)).url);
      await waitFor("empty queue", async () => {
        const h = (await (await fetch(`${url2}/health`)).json()) as { queued: number };
        return h.queued === 0;
      });
      expect(fcm.received).toHaveLength(pendingAtStop);
      expect(fcm.minted.length).toBeGreaterThanOrEqual(1);
      const delivered = fcm.received.map((m) => {
        expect(m.body.message.token).toBe("bob-phone");
        return openPushNotification(m.body.message.data.enc_payload, encKey).hash;
      });
      expect(new Set(delivered).size).toBe(pendingAtStop);
      for (const h of delivered) expect(hashes).toContain(h);
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
      // Exactly once, counted when nothing more can arrive: the process is gone.
      expect(fcm.received).toHaveLength(pendingAtStop);
    } finally {
      await fcm.stop();
      await toNode.close();
      await node.stop();
    }
  }, 90_000);
});
