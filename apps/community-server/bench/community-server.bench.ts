/**
 * Messages posted/s and poll requests/s through the onion final hop on loopback, one client at a
 * time (sequential requests: the figures are per core of the server process, client-side onion
 * and SOGS signing included). Prints p50/p99 latency; not a test.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blind15KeyPair, blind15Sign, keypairFromSeed, toHex, utf8Encode } from "@session/crypto";
import { createLogger, loadServerKeys, startServer } from "@session/service-kit";
import { onionV4TestClient } from "@session/service-kit/testing";
import { signedMessage } from "../src/auth/signature.ts";
import { openSqlite } from "../src/db/sql.ts";
import { DEFAULT_LIMITS } from "../src/domain/context.ts";
import { createRoom } from "../src/domain/rooms.ts";
import { createCommunityServer } from "../src/server.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500);
const dir = await mkdtemp(join(tmpdir(), "community-bench-"));
const keys = await loadServerKeys(join(dir, "x25519.key"));
const db = openSqlite(join(dir, "c.db"));
const big = 1e12;
const community = createCommunityServer({
  db,
  keys,
  now: Date.now,
  logger: createLogger({ name: "bench", level: "silent" }),
  limits: DEFAULT_LIMITS,
  rateLimits: {
    userRequestsPerMinute: big,
    userPostsPerMinute: big,
    roomPostsPerMinute: big,
    userDmsPerMinute: big,
    anonymousRequestsPerMinute: big,
    nodeRequestsPerMinute: big,
  },
  directClientRoutes: false,
});
await createRoom(community.deps, { token: "bench", name: "Bench" });
const server = await startServer(community.app, { port: 0 });
const client = onionV4TestClient(server.url, keys.publicKey, "xchacha20");
const me = keypairFromSeed(randomBytes(32));
const blinded = `15${toHex(blind15KeyPair(me.ed25519.secretKey, keys.publicKey).publicKey)}`;

function headers(method: string, path: string, body?: Uint8Array) {
  const nonce = randomBytes(16);
  const ts = String(Math.floor(Date.now() / 1000));
  const msg = signedMessage({
    serverPk: keys.publicKey,
    nonce,
    timestampText: ts,
    method,
    pathAndQuery: path,
    body,
  });
  return {
    "X-SOGS-Pubkey": blinded,
    "X-SOGS-Nonce": Buffer.from(nonce).toString("base64"),
    "X-SOGS-Timestamp": ts,
    "X-SOGS-Signature": Buffer.from(blind15Sign(me.ed25519.secretKey, keys.publicKey, msg)).toString(
      "base64",
    ),
  };
}

async function measure(label: string, once: (i: number) => Promise<number>) {
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    const code = await once(i);
    if (code >= 300) throw new Error(`${label}: HTTP ${code}`);
    lat.push(performance.now() - t);
  }
  const total = performance.now() - t0;
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(2);
  console.log(
    `${label.padEnd(30)} ${(ROUNDS / (total / 1000)).toFixed(0).padStart(6)} req/s   p50 ${p(0.5)} ms   p99 ${p(0.99)} ms   (${ROUNDS} sequential)`,
  );
}

/** POSTs `json` to `endpoint` through the onion hop, signed; answers the v4 status code. */
async function postSigned(endpoint: string, json: unknown) {
  const body = utf8Encode(JSON.stringify(json));
  const r = await client.request(
    {
      method: "POST",
      endpoint,
      headers: { ...headers("POST", endpoint, body), "Content-Type": "application/json" },
    },
    body,
  );
  return r.info.code;
}

try {
  const data = Buffer.from(randomBytes(300)).toString("base64");
  const sig = Buffer.from(randomBytes(64)).toString("base64");
  await measure("post message (onion, signed)", () =>
    postSigned("/room/bench/message", { data, signature: sig }),
  );
  await measure("poll /batch (onion, signed)", async (i) => {
    const subs = [
      { method: "GET", path: "/room/bench/pollInfo/0" },
      { method: "GET", path: `/room/bench/messages/since/${ROUNDS - 5 + (i % 5)}?t=r` },
      { method: "GET", path: "/inbox" },
    ];
    return postSigned("/batch", subs);
  });
} finally {
  await server.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
}
