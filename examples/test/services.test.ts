import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createIdentity, type IncomingMessage, SessionClient } from "@session/client";
import { devnetForTests } from "@session/devnet/testing";
import { afterAll, describe, expect, it, vi } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const net = devnetForTests("example-services", { nodes: 8, fileServer: false, pushServer: false });
const { dir } = net;
const running = new Set<ChildProcess>();
const users: SessionClient[] = [];
afterAll(async () => {
  for (const p of running) p.kill("SIGKILL");
  await Promise.all(users.map((u) => u.close()));
});

/**
 * Starts an example service through the image's entry point (src/main.ts, EXAMPLE picks it);
 * resolves with its URL and Session ID once it listens.
 */
function startService(
  example: "2fa" | "broadcaster",
  dataDir: string,
): Promise<{ url: string; id: string; proc: ChildProcess }> {
  const entry = "main.ts";
  const proc = spawn(process.execPath, ["--import", "tsx", join(root, "src", entry)], {
    cwd: root,
    env: {
      ...process.env,
      EXAMPLE: example,
      SESSION_NETWORK: net.devnet.seed,
      SESSION_DATA_DIR: dataDir,
      PORT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(proc);
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    proc.stderr!.on("data", (c: Buffer) => {
      err += c;
    });
    proc.stdout!.on("data", (c: Buffer) => {
      out += c;
      const m = /(05[0-9a-f]{64}) listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ id: m[1]!, url: m[2]!, proc });
    });
    proc.on("exit", (code) => reject(new Error(`${entry} exited ${code}: ${err}`)));
  });
}

/** Kills the service outright (no clean shutdown) and waits for it to be gone. */
async function crash(proc: ChildProcess): Promise<void> {
  const gone = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGKILL");
  await gone;
  running.delete(proc);
}

async function post(url: string, body: unknown) {
  const r = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function user(): Promise<SessionClient> {
  const c = new SessionClient({ identity: createIdentity(), seeds: [net.devnet.seed] });
  users.push(c);
  await c.connect();
  return c;
}

/** Polls `c` until `pred` holds for everything received so far; returns all received. */
async function receiveUntil(
  c: SessionClient,
  got: IncomingMessage[],
  pred: (all: IncomingMessage[]) => boolean,
) {
  await vi.waitFor(
    async () => {
      if (!pred(got)) got.push(...(await c.poll()));
      expect(pred(got)).toBe(true);
    },
    { timeout: 15_000, interval: 100 },
  );
  return got;
}

const texts = (ms: IncomingMessage[], from: string) => ms.filter((m) => m.from === from).map((m) => m.text);

describe("example services survive a restart without duplicate sends", () => {
  it("2FA: a code sent before a crash still verifies once afterwards; nothing is sent twice", async () => {
    const data = join(dir, "2fa");
    const u = await user();
    let svc = await startService("2fa", data);
    expect((await fetch(`${svc.url}/health`)).status).toBe(200);
    expect((await post(`${svc.url}/codes`, { sessionId: "05nope" })).status).toBe(400);
    expect((await post(`${svc.url}/codes`, { sessionId: u.sessionId })).body).toMatchObject({ sent: true });
    const got: IncomingMessage[] = [];
    await receiveUntil(u, got, (all) => texts(all, svc.id).length === 1);
    const code = /code is (\d{6})/.exec(got[0]!.text ?? "")![1]!;

    await crash(svc.proc);
    const id = svc.id;
    svc = await startService("2fa", data);
    expect(svc.id).toBe(id); // same account from the data dir
    // Asked again right away: refused, not re-sent.
    expect((await post(`${svc.url}/codes`, { sessionId: u.sessionId })).status).toBe(429);
    expect((await post(`${svc.url}/verify`, { sessionId: u.sessionId, code })).body).toEqual({ valid: true });
    expect((await post(`${svc.url}/verify`, { sessionId: u.sessionId, code })).body).toEqual({
      valid: false,
    });
    // A marker from the service's own account: everything before it has arrived.
    const marker = await user();
    await post(`${svc.url}/codes`, { sessionId: marker.sessionId });
    await receiveUntil(marker, [], (all) => all.length === 1);
    got.push(...(await u.poll()));
    expect(texts(got, svc.id)).toHaveLength(1);
  }, 120_000);

  it("broadcaster: subscribers and announcements survive a crash; no one is confirmed or told twice", async () => {
    const data = join(dir, "broadcaster");
    let svc = await startService("broadcaster", data);
    const [a, b] = [await user(), await user()];
    await a.sendText(svc.id, "subscribe");
    await b.sendText(svc.id, "SUBSCRIBE");
    const gotA: IncomingMessage[] = [];
    const gotB: IncomingMessage[] = [];
    await receiveUntil(a, gotA, (all) =>
      texts(all, svc.id).includes("Subscribed. Reply STOP to unsubscribe."),
    );
    await receiveUntil(b, gotB, (all) =>
      texts(all, svc.id).includes("Subscribed. Reply STOP to unsubscribe."),
    );
    expect((await post(`${svc.url}/announce`, { text: "first" })).body).toEqual({ sent: 2 });

    await crash(svc.proc);
    svc = await startService("broadcaster", data);
    const subs = await fetch(`${svc.url}/subscribers`).then((r) => r.json());
    expect(subs).toEqual({ count: 2 });
    // A repeated "subscribe" is not confirmed again.
    await a.sendText(svc.id, "subscribe");
    await b.sendText(svc.id, "stop");
    const count = async () =>
      ((await (await fetch(`${svc.url}/subscribers`)).json()) as { count: number }).count;
    await expect.poll(count, { timeout: 10_000, interval: 100 }).toBe(1);
    expect((await post(`${svc.url}/announce`, { text: "second" })).body).toEqual({ sent: 1 });
    await receiveUntil(a, gotA, (all) => texts(all, svc.id).includes("second"));
    expect(texts(gotA, svc.id)).toEqual(["Subscribed. Reply STOP to unsubscribe.", "first", "second"]);
    await receiveUntil(b, gotB, (all) => texts(all, svc.id).includes("first"));
    gotB.push(...(await b.poll()));
    expect(texts(gotB, svc.id)).toEqual(["Subscribed. Reply STOP to unsubscribe.", "first"]);
    expect((await fetch(`${svc.url}/health`)).status).toBe(200);
    // SIGTERM (docker stop) closes the HTTP server and the client's store and exits 0.
    const exited = new Promise<number | null>((r) => svc.proc.once("exit", r));
    svc.proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    running.delete(svc.proc);
  }, 120_000);
});
