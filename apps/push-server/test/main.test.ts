import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { newAccount, subscribeBody } from "./helpers.ts";

const tsxCli = join(import.meta.dirname, "..", "..", "..", "node_modules", "tsx", "dist", "cli.mjs");
const main = join(import.meta.dirname, "..", "src", "main.ts");
let dataDir: string | undefined;

afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [tsxCli, main], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const line = async (pattern: RegExp, timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const found = out.split("\n").find((l) => pattern.test(l));
      if (found) return JSON.parse(found) as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    throw new Error(`no log line ${pattern} in:\n${out}\n${err}`);
  };
  return { child, exited, line, output: () => ({ out, err }) };
}

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
});
