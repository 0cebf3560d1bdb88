/**
 * Upload/download throughput of the file server on loopback: direct HTTP and through the onion
 * final hop (client-side onion encryption included in the timing, as a client would pay it).
 * Prints MB/s; not a test.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, loadServerKeys, startServer } from "@session/service-kit";
import { onionV4TestClient } from "@session/service-kit/testing";
import { SqliteFileRepo } from "../src/db/repo.ts";
import { createApp, DEFAULT_RATE_LIMITS } from "../src/server.ts";
import { DiskBlobStore } from "../src/storage/disk.ts";

const SIZE = Number(process.env.BENCH_FILE_BYTES ?? 5_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);

const dataDir = await mkdtemp(join(tmpdir(), "fs-bench-"));
const repo = SqliteFileRepo.open(join(dataDir, "files.db"));
const keys = await loadServerKeys(join(dataDir, "x25519.key"));
const app = createApp({
  repo,
  blobs: new DiskBlobStore(join(dataDir, "blobs")),
  tmpDir: join(dataDir, "tmp"),
  keys,
  now: Date.now,
  logger: createLogger({ name: "bench", level: "silent" }),
  limits: { maxFileBytes: 10_000_000, defaultTtlSeconds: 86_400, maxTtlSeconds: 86_400 },
  directClientRoutes: true,
  rateLimits: { ...DEFAULT_RATE_LIMITS, uploadBytesPerMinute: Number.MAX_SAFE_INTEGER },
});
await (await import("node:fs/promises")).mkdir(join(dataDir, "tmp"), { recursive: true });
const server = await startServer(app, { port: 0 });

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const body = randomBytes(SIZE);

async function measure(label: string, up: () => Promise<string>, down: (id: string) => Promise<Uint8Array>) {
  const ids: string[] = [];
  let t = performance.now();
  for (let i = 0; i < ROUNDS; i++) ids.push(await up());
  const upMs = performance.now() - t;
  t = performance.now();
  for (const id of ids) {
    const got = await down(id);
    if (got.length !== SIZE) throw new Error(`${label}: downloaded ${got.length} bytes, expected ${SIZE}`);
  }
  const downMs = performance.now() - t;
  const total = SIZE * ROUNDS;
  console.log(
    `${label.padEnd(26)} upload ${mbps(total, upMs).padStart(7)} MB/s   download ${mbps(total, downMs).padStart(7)} MB/s   (${ROUNDS} × ${SIZE} bytes)`,
  );
}

try {
  await measure(
    "direct HTTP",
    async () => {
      const res = await fetch(`${server.url}/file`, { method: "POST", body });
      return ((await res.json()) as { id: string }).id;
    },
    async (id) => new Uint8Array(await (await fetch(`${server.url}/file/${id}`)).arrayBuffer()),
  );
  for (const encType of ["aes-gcm", "xchacha20"] as const) {
    const client = onionV4TestClient(server.url, keys.publicKey, encType);
    await measure(
      `onion final hop ${encType}`,
      async () => {
        const res = await client.request({ method: "POST", endpoint: "/file", headers: {} }, body);
        return (JSON.parse(new TextDecoder().decode(res.body)) as { id: string }).id;
      },
      async (id) => (await client.request({ method: "GET", endpoint: `/file/${id}`, headers: {} })).body,
    );
  }
} finally {
  await server.close();
  await repo.close();
  await rm(dataDir, { recursive: true, force: true });
}
