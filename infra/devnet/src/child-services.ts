// The devnet's file, community and push servers: each app's own main run as a child process, as
// an operator would run it, stopped by SIGTERM when the devnet stops.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fromHex, toHex, x25519PublicFromSecret } from "@session/crypto";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** What stops the devnet's parts, run in reverse order by `stop()` (or when starting fails). */
export type Cleanups = (() => Promise<void>)[];

/** Polls `check` every 100 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`devnet: timed out waiting for ${what}`);
}

/** Each child service's settings: the app (apps/<app>) and its environment for a port and data dir. */
export interface ChildService {
  app: "file-server" | "community-server" | "push-server";
  env(port: number, dataDir: string): Record<string, string>;
}

export const fileServerService: ChildService = {
  app: "file-server",
  env: (port, dir) => ({ FS_PORT: String(port), FS_DATA_DIR: dir, LOG_LEVEL: "warn" }),
};

/** A community server with one open room, "lobby". */
export const communityServerService: ChildService = {
  app: "community-server",
  env: (port, dir) => ({
    CS_PORT: String(port),
    CS_DATA_DIR: dir,
    CS_DEFAULT_ROOM: "lobby",
    // As in production: clients reach it only through onion requests.
    CS_DIRECT_CLIENT_ROUTES: "0",
    LOG_LEVEL: "warn",
  }),
};

/** The push server with the log notifier, watching the nodes it reaches from `seeds`. */
export const pushServerService = (network: {
  seeds: readonly string[];
  nodeScheme: "http" | "https";
}): ChildService => ({
  app: "push-server",
  env: (port, dir) => ({
    PORT: String(port),
    HOST: "127.0.0.1",
    SEED_NODES: network.seeds.join(","),
    NODE_SCHEME: network.nodeScheme,
    FIREBASE_NOTIFIER: "log",
    DATABASE_URL: join(dir, "push.sqlite"),
    KEY_FILE: join(dir, "x25519.key"),
    LOG_LEVEL: "warn",
  }),
});

/**
 * Runs an app's own main (apps/<app>/src/main.ts) as a child process and waits for /health; returns
 * its URL and X25519 public key (hex), read from the `x25519.key` each of these keeps in its data dir.
 */
export async function startChildService(
  service: ChildService,
  dataDir: string,
  port: number,
  cleanups: Cleanups,
): Promise<{ url: string; x25519: string }> {
  const name = service.app;
  mkdirSync(dataDir, { recursive: true });
  // tsx as a loader in the service's own process (not tsx's CLI, which adds a process in between).
  const main = join(repoRoot, "apps", name, "src", "main.ts");
  const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), main], {
    env: { ...process.env, ...service.env(port, dataDir) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  cleanups.push(
    () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once("exit", () => res());
        child.kill("SIGTERM");
      }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(name, async () => {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      return (await fetch(`${url}/health`)).ok;
    } catch {
      return false;
    }
  });
  const secret = fromHex(readFileSync(join(dataDir, "x25519.key"), "utf8").trim());
  return { url, x25519: toHex(x25519PublicFromSecret(secret)) };
}
