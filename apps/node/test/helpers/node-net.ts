import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AccountKeys, generateSeed, keypairFromSeed, sign, toBase64, toHex } from "@session/crypto";
import { signRpcParams } from "@session/protocol";
import { type MonitorSubscriptionJson, monitorSignatureMessage } from "@session/protocol/monitor";
import { swarmIdToHex } from "@session/protocol/rpc";
import { createLogger } from "@session/service-kit";
import { expect } from "vitest";
import type { NodeConfig } from "../../src/config.ts";
import { type RunningNode, startNode } from "../../src/node.ts";
import { writeRegistryFile } from "../../src/swarm/membership.ts";
import { loopbackNodeConfig } from "../../src/testing.ts";

export const silent = createLogger({ name: "test", level: "silent" });

export function nodeConfig(
  dataDir: string,
  registryFile: string,
  extra: Partial<NodeConfig> = {},
): NodeConfig {
  return loopbackNodeConfig(dataDir, {
    registry: { file: registryFile, pollMs: 60_000 },
    rateLimit: { perSecond: 10_000, burst: 10_000 },
    ...extra,
  });
}

/** N in-process nodes on loopback sharing one static registry file; `extra` goes into every config. */
export class TestNet {
  constructor(readonly extra: Partial<NodeConfig> = {}) {}

  readonly dir = mkdtempSync(join(tmpdir(), "session-net-"));
  readonly registry = join(this.dir, "registry.json");
  nodes: RunningNode[] = [];
  clock = { offset: 0, now: () => Date.now() + this.clock.offset };

  async start(n: number): Promise<RunningNode[]> {
    await writeRegistryFile(this.registry, []);
    const started = await Promise.all(Array.from({ length: n }, () => this.startOne()));
    // startOne appends in completion order; keep `nodes` in start order, as `started` is.
    this.nodes = [...this.nodes.filter((x) => !started.includes(x)), ...started];
    await this.publish();
    return started;
  }

  /** Starts one more node; its data lives in `<dataParent ?? this.dir>/<name>`. */
  async startOne(
    name = `n${this.nodes.length}-${Math.random().toString(36).slice(2, 6)}`,
    dataParent = this.dir,
  ): Promise<RunningNode> {
    const node = await startNode(nodeConfig(join(dataParent, name), this.registry, this.extra), {
      logger: silent,
      clock: { now: () => this.clock.now() },
    });
    this.nodes.push(node);
    return node;
  }

  /** Writes every running node into the registry and makes every node re-read it. */
  async publish(nodes: RunningNode[] = this.nodes): Promise<void> {
    await writeRegistryFile(
      this.registry,
      nodes.map((n) => n.info),
    );
    await Promise.all(this.nodes.map((n) => n.refreshRegistry()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function newAccount(): AccountKeys {
  return keypairFromSeed(generateSeed());
}

// biome-ignore lint/suspicious/noExplicitAny: tests read RPC bodies field by field
type AnyBody = any;

export async function rpc(
  url: string,
  method: string,
  params: unknown,
): Promise<{ status: number; body: AnyBody }> {
  const res = await fetch(`${url}/storage_rpc/v1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method, params }),
  });
  const text = await res.text();
  if ((res.headers.get("content-type") ?? "").startsWith("application/json"))
    return { status: res.status, body: JSON.parse(text) };
  // A failure is oxenss's plain text plus our typed code in a header; tests read both as one
  // object (the wire bytes themselves are checked in oxenss-compat and storage-http tests).
  return {
    status: res.status,
    body: { error: { code: res.headers.get("x-session-error-code"), message: text } },
  };
}

export function signed(
  acct: AccountKeys,
  method: Parameters<typeof signRpcParams>[0],
  params: Record<string, unknown>,
): Record<string, unknown> {
  return signRpcParams(method, params, {
    sign: (m) => sign(m, acct.ed25519.secretKey),
    ed25519PubkeyHex: toHex(acct.ed25519.publicKey),
  });
}

export function storeParams(
  acct: AccountKeys,
  text: string,
  now = Date.now(),
  extra: Record<string, unknown> = {},
) {
  return signed(acct, "store", {
    pubkey: acct.sessionId,
    namespace: 0,
    timestamp: now,
    ttl: 3_600_000,
    data: toBase64(new TextEncoder().encode(text)),
    sig_timestamp: now,
    ...extra,
  });
}

export function retrieveParams(acct: AccountKeys, extra: Record<string, unknown> = {}, now = Date.now()) {
  return signed(acct, "retrieve", { pubkey: acct.sessionId, namespace: 0, timestamp: now, ...extra });
}

/** A signed monitor subscription of `acct` to namespace 0 (a stream opens only with a valid one). */
export function monitorSub(acct: AccountKeys, now = Date.now()): MonitorSubscriptionJson {
  const sigTs = Math.floor(now / 1000);
  return {
    pubkey: acct.sessionId,
    session_ed25519: toHex(acct.ed25519.publicKey),
    namespaces: [0],
    data: false,
    sig_ts: sigTs,
    signature: toBase64(
      sign(monitorSignatureMessage(acct.sessionId, sigTs, false, [0]), acct.ed25519.secretKey),
    ),
  };
}

/** oxenss's wrong-swarm answer: 421 naming the right swarm and listing exactly its members. */
export function expectWrongSwarm(
  // biome-ignore lint/suspicious/noExplicitAny: the 421 body is read field by field
  r: { status: number; body: any },
  swarmId: bigint,
  members: readonly RunningNode[],
): void {
  expect(r.status).toBe(421);
  expect(r.body.swarm).toBe(swarmIdToHex(swarmId));
  expect(r.body.snodes.map((s: { pubkey_ed25519: string }) => s.pubkey_ed25519).sort()).toEqual(
    members.map((m) => m.info.pubkey_ed25519).sort(),
  );
}
