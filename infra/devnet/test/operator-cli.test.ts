// The operator's path on the devnet chain, with the real `session-node` CLI: a new node's keys,
// staking and registration (permit, key proof), the indexer listing it, the node joining a swarm
// and receiving a message stored through another member, `status` showing it, and the exit.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { seshAbi } from "@session/contracts";
import { generateSeed, keypairFromSeed, sign, toBase64, toHex } from "@session/crypto";
import { type RunningNode, startNode } from "@session/node";
import { signRpcParams } from "@session/protocol";
import { Contract, JsonRpcProvider, parseEther, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Devnet, startDevnet } from "../src/index.ts";

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const main = join(repo, "apps", "node", "src", "main.ts");
// Hardhat's first development account (a public test key) holds the devnet's SESH supply.
const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

let devnet: Devnet;
let node: RunningNode | undefined;
const dir = mkdtempSync(join(tmpdir(), "operator-cli-"));
const nodeDir = join(dir, "new-node");
const keyFile = join(dir, "operator.key");
const operator = Wallet.createRandom();

async function sessionNode(args: string[], extraEnv: Record<string, string> = {}) {
  const env = {
    PATH: process.env.PATH ?? "",
    SESSION_NODE_RPC_URL: devnet.chainUrl,
    SESSION_NODE_DEPLOYMENT_FILE: devnet.deploymentFile,
    SESSION_NODE_OPERATOR_KEY_FILE: keyFile,
    SESSION_NODE_DATA_DIR: nodeDir,
    REGISTRY_URL: devnet.indexerUrl,
    ...extraEnv,
  };
  try {
    const r = await run(process.execPath, ["--import", "tsx", main, ...args], {
      env,
      cwd: repo,
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  devnet = await startDevnet({
    nodes: 4,
    dataDir: join(dir, "net"),
    http: true,
    fileServer: false,
    pushServer: false,
    communityServer: false,
  });
  // The operator's wallet: gas money and one staking requirement of SESH, its key in a 0600 file.
  const provider = new JsonRpcProvider(devnet.chainUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const funder = new Wallet(DEV_KEY, provider);
  await (await funder.sendTransaction({ to: operator.address, value: parseEther("10") })).wait();
  const sesh = new Contract(devnet.deployment.sesh, seshAbi as never, funder);
  await (await sesh.getFunction("transfer")(operator.address, 20_000n * 10n ** 9n)).wait();
  provider.destroy();
  writeFileSync(keyFile, `${operator.privateKey}\n`, { mode: 0o600 });
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await devnet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("session-node operator CLI on the devnet chain", () => {
  it("keys, register, indexer, swarm, stored messages, status, exit", async () => {
    const keys = await sessionNode(["keys"]);
    expect(keys.code).toBe(0);
    const ed25519 = /ed25519\s+([0-9a-f]{64})/.exec(keys.stdout)![1]!;
    expect(keys.stdout).toMatch(/x25519\s+[0-9a-f]{64}/);

    // The node runs first (its key is the one `keys` created), then registers its endpoint.
    node = await startNode(
      {
        dataDir: nodeDir,
        host: "127.0.0.1",
        port: 0,
        publicIp: "127.0.0.1",
        http: true,
        registry: { url: devnet.indexerUrl, pollMs: 500 },
        sweepIntervalMs: 60_000,
        maxBodyBytes: 10 * 1024 * 1024,
        rateLimit: { perSecond: 1000, burst: 2000 },
        logLevel: "silent",
      },
      {},
    );
    expect(node.info.pubkey_ed25519).toBe(ed25519);

    const before = await sessionNode(["status"]);
    expect(before.stdout).toContain("not registered");

    // Bad input is refused with a clear message, before anything is sent.
    const badStake = await sessionNode(["register", "--stake", "1"], {
      PUBLIC_IP: "127.0.0.1",
      PUBLIC_PORT: String(node.info.storage_port),
    });
    expect(badStake.code).toBe(1);
    expect(badStake.stderr).toMatch(/operator stake must be between 5000\.0 SESH and 20000\.0 SESH/);
    const noKey = await sessionNode(["status"], { SESSION_NODE_OPERATOR_KEY_FILE: "" });
    expect(noKey.stderr).toContain("no wallet key: set SESSION_NODE_OPERATOR_KEY");

    const reg = await sessionNode(["register", "--fee-bps", "700"], {
      PUBLIC_IP: "127.0.0.1",
      PUBLIC_PORT: String(node.info.storage_port),
    });
    expect(reg.stderr).toContain("permit: sent 0x");
    expect(reg.stderr).toMatch(/registerNode: mined in block \d+/);
    expect(reg.stderr).not.toContain(operator.privateKey.slice(2));
    expect(reg.code, reg.stderr).toBe(0);
    const nodeId = /registered node (\d+)/.exec(reg.stdout)![1]!;
    expect(Number(nodeId)).toBe(5);

    // The indexer lists it (with its verified key proof), and the node finds its swarm.
    await expect
      .poll(
        async () => {
          const body = (await (await fetch(`${devnet.indexerUrl}/v1/nodes`)).json()) as {
            nodes: { pubkey_ed25519: string }[];
          };
          return body.nodes.map((n) => n.pubkey_ed25519);
        },
        { timeout: 20_000 },
      )
      .toContain(ed25519);
    await expect.poll(() => node!.ctx.membership.mySwarm() !== undefined, { timeout: 20_000 }).toBe(true);
    const swarm = node.ctx.membership.mySwarm()!;
    const peer = swarm.members.find((m) => m.pubkey_ed25519 !== ed25519)!;
    expect(peer).toBeDefined();

    // A message stored through another member of its swarm reaches the new node.
    let owner = keypairFromSeed(generateSeed());
    while (node.ctx.membership.swarmOf(owner.sessionId)?.id !== swarm.id)
      owner = keypairFromSeed(generateSeed());
    const signed = (method: "store" | "retrieve", params: Record<string, unknown>) =>
      signRpcParams(method, params, {
        sign: (m) => sign(m, owner.ed25519.secretKey),
        ed25519PubkeyHex: toHex(owner.ed25519.publicKey),
      });
    const now = Date.now();
    const peerUrl = devnet.nodes.find((n) => n.pubkeyEd25519 === peer.pubkey_ed25519)!.url;
    const stored = await fetch(`${peerUrl}/storage_rpc/v1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        method: "store",
        params: signed("store", {
          pubkey: owner.sessionId,
          namespace: 0,
          timestamp: now,
          ttl: 3_600_000,
          data: toBase64(new TextEncoder().encode("for the new node")),
          sig_timestamp: now,
        }),
      }),
    });
    expect(stored.status).toBe(200);
    const retrieveFromNewNode = async () => {
      const res = await fetch(`${node!.url}/storage_rpc/v1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          method: "retrieve",
          params: signed("retrieve", { pubkey: owner.sessionId, namespace: 0, timestamp: Date.now() }),
        }),
      });
      if (res.status !== 200) return [];
      return ((await res.json()) as { messages: { data: string }[] }).messages.map((m) =>
        Buffer.from(m.data, "base64").toString(),
      );
    };
    await expect.poll(retrieveFromNewNode, { timeout: 20_000 }).toContain("for the new node");

    const status = await sessionNode(["status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`node id      ${nodeId}`);
    expect(status.stdout).toMatch(/status\s+active/);
    expect(status.stdout).toContain(`endpoint     127.0.0.1:${node.info.storage_port}`);
    expect(status.stdout).toContain("stake        20000.0 SESH of 20000.0 SESH (1 contributors)");
    expect(status.stdout).toContain("fee          7.00 %");
    expect(status.stdout).toContain(`swarm        ${swarm.id.toString()}`);
    expect(status.stdout).toContain(`${ed25519}  127.0.0.1:${node.info.storage_port}  (this node)`);

    const exit = await sessionNode(["exit"]);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(new RegExp(`node ${nodeId} exiting; stakes unlock at \\d{4}-`));
    expect((await sessionNode(["status"])).stdout).toMatch(/status\s+exiting/);
    const early = await sessionNode(["finalize-exit"]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain("StillLocked");
  }, 180_000);
});
