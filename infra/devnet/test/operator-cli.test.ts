// The operator's path on the devnet chain, with the real `session-node` CLI: a new node's keys,
// staking and registration (permit, key proof), the indexer listing it, the node joining a swarm
// and receiving a message stored through another member, `status` showing it, and the exit; then,
// chain time moved on with evm_increaseTime (never slept), the finalised exit, a second node staked
// by two wallets (`contribute`), moved (`update-endpoint`), and the rewards claimed (`claim`).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { serviceNodeRegistryAbi, seshAbi } from "@session/contracts";
import { generateSeed, keypairFromSeed, sign, toBase64, toHex } from "@session/crypto";
import { type RunningNode, startNode } from "@session/node";
import { signRpcParams } from "@session/protocol";
import { Contract, formatUnits, JsonRpcProvider, parseEther, Wallet } from "ethers";
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
// A second node (its own data dir), registered by a second operator with a quarter of the stake and
// completed by a contributor's wallet.
const nodeDir2 = join(dir, "second-node");
const keyFile2 = join(dir, "operator2.key");
const contributorKeyFile = join(dir, "contributor.key");
const contributorDir = join(dir, "contributor");
/** The environments of the second operator's and the contributor's session-node runs. */
const op2 = { SESSION_NODE_OPERATOR_KEY_FILE: keyFile2, SESSION_NODE_DATA_DIR: nodeDir2 };
const contrib = { SESSION_NODE_OPERATOR_KEY_FILE: contributorKeyFile, SESSION_NODE_DATA_DIR: contributorDir };
const operator2 = Wallet.createRandom();
const contributor = Wallet.createRandom();
let node2: RunningNode | undefined;
let provider: JsonRpcProvider;
let admin: Wallet;
let sesh: Contract;
let registry: Contract;
const SESH = 10n ** 9n;

/** Moves chain time on by `seconds` and mines a block, so reads at `latest` see it. */
async function advance(seconds: number) {
  await provider.send("evm_increaseTime", [seconds]);
  await provider.send("evm_mine", []);
}
const balance = async (a: string) => (await sesh.getFunction("balanceOf")(a)) as bigint;
const row = (out: string, key: string) => new RegExp(`^${key}\\s+(.+)$`, "m").exec(out)?.[1];
const listed = async () =>
  (
    (await (await fetch(`${devnet.indexerUrl}/v1/nodes`)).json()) as {
      nodes: { pubkey_ed25519: string; public_ip: string; storage_port: number }[];
    }
  ).nodes;

/** Runs `session-node`, expecting it to fail with `error` in its stderr; returns the run. */
async function failsWith(error: string | RegExp, args: string[], extraEnv: Record<string, string> = {}) {
  const r = await sessionNode(args, extraEnv);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(error);
  return r;
}

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
  // The operators' and the contributor's wallets: gas money and SESH, their keys in 0600 files.
  provider = new JsonRpcProvider(devnet.chainUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  admin = new Wallet(DEV_KEY, provider);
  sesh = new Contract(devnet.deployment.sesh, seshAbi as never, admin);
  registry = new Contract(devnet.deployment.serviceNodeRegistry, serviceNodeRegistryAbi as never, admin);
  for (const [w, sessionTokens] of [
    [operator, 20_000n],
    [operator2, 5_000n],
    [contributor, 16_000n],
  ] as const) {
    await (await admin.sendTransaction({ to: w.address, value: parseEther("10") })).wait();
    await (await sesh.getFunction("transfer")(w.address, sessionTokens * SESH)).wait();
  }
  writeFileSync(keyFile, `${operator.privateKey}\n`, { mode: 0o600 });
  writeFileSync(keyFile2, `${operator2.privateKey}\n`, { mode: 0o600 });
  writeFileSync(contributorKeyFile, `${contributor.privateKey}\n`, { mode: 0o600 });
}, 120_000);

afterAll(async () => {
  provider?.destroy();
  await node2?.stop();
  await node?.stop();
  await devnet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A node as an operator runs one: plain HTTP on loopback, registered through the devnet's indexer. */
function startOperatorNode(dataDir: string): Promise<RunningNode> {
  return startNode(
    {
      dataDir,
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
}

describe("session-node operator CLI on the devnet chain", () => {
  it("keys, register, indexer, swarm, stored messages, status, exit", async () => {
    const keys = await sessionNode(["keys"]);
    expect(keys.code).toBe(0);
    const ed25519 = /ed25519\s+([0-9a-f]{64})/.exec(keys.stdout)![1]!;
    expect(keys.stdout).toMatch(/x25519\s+[0-9a-f]{64}/);

    // The node runs first (its key is the one `keys` created), then registers its endpoint.
    node = await startOperatorNode(nodeDir);
    expect(node.info.pubkey_ed25519).toBe(ed25519);

    const before = await sessionNode(["status"]);
    expect(before.stdout).toContain("not registered");

    // Bad input is refused with a clear message, before anything is sent.
    await failsWith(
      /operator stake must be between 5000\.0 SESH and 20000\.0 SESH/,
      ["register", "--stake", "1"],
      {
        PUBLIC_IP: "127.0.0.1",
        PUBLIC_PORT: String(node.info.storage_port),
      },
    );
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
    await failsWith("StillLocked", ["finalize-exit"]);
  }, 180_000);

  it("finalize-exit once chain time is past the exit delay returns the stake", async () => {
    const unlockAt = Number(((await registry.getFunction("getNode")(5n)) as { unlockAt: bigint }).unlockAt);
    const latest = (await provider.getBlock("latest"))!.timestamp;
    expect(unlockAt - latest).toBeGreaterThan(29 * 24 * 3600); // the devnet's 30-day exit delay
    await advance(unlockAt - latest + 1);
    const before = await balance(operator.address);
    const fin = await sessionNode(["finalize-exit"]);
    expect(fin.code, fin.stderr).toBe(0);
    expect(fin.stdout).toContain("node 5 exited; stakes returned");
    expect(await balance(operator.address)).toBe(before + 20_000n * SESH);
    expect(Number(((await registry.getFunction("getNode")(5n)) as { status: bigint }).status)).toBe(4);
    // The key is free again, and a second finalisation is refused with the decoded error.
    expect((await sessionNode(["status"])).stdout).toContain("not registered");
    await failsWith(/finalizeExit: WrongStatus\(5, 4\)/, ["finalize-exit", "5"]);
  }, 60_000);

  it("contribute: a second wallet completes a partly staked node, which activates", async () => {
    // Registered at an endpoint nothing listens on yet (port 9); update-endpoint moves it below.
    // Chain time is now a month ahead of this machine's clock: the permit's deadline follows the chain.
    const reg = await sessionNode(["register", "--stake", "5000"], {
      ...op2,
      PUBLIC_IP: "127.0.0.1",
      PUBLIC_PORT: "9",
    });
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.stdout).toMatch(/registered node 6 /);
    const waiting = await sessionNode(["status"], op2);
    expect(row(waiting.stdout, "status")).toBe("awaiting contributions");
    expect(row(waiting.stdout, "stake")).toBe("5000.0 SESH of 20000.0 SESH (1 contributors)");
    expect(row(waiting.stdout, "swarm")).toContain("none yet");

    // More than the node still needs is refused before any transaction (the wallet holds 16000).
    const tooMuch = await failsWith(
      "node 6 needs at most 15000.0 SESH more, not 16000.0 SESH",
      ["contribute", "6", "16000"],
      contrib,
    );
    expect(tooMuch.stderr).not.toContain("permit: sent");
    const badAmount = await sessionNode(["contribute", "6", "lots"], contrib);
    expect(badAmount.stderr).toContain('contribute: "lots" is not a positive SESH amount');

    const before = await balance(contributor.address);
    const c = await sessionNode(["contribute", "6", "15000"], contrib);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/contribute: mined in block \d+/);
    expect(c.stdout).toContain(
      "contributed 15000.0 SESH to node 6: 20000.0 SESH of 20000.0 SESH staked, active",
    );
    expect(await balance(contributor.address)).toBe(before - 15_000n * SESH);
    expect((await registry.getFunction("stakeOf")(6n, contributor.address)) as bigint).toBe(15_000n * SESH);
    const active = await sessionNode(["status"], op2);
    expect(row(active.stdout, "status")).toBe("active");
    expect(row(active.stdout, "stake")).toBe("20000.0 SESH of 20000.0 SESH (2 contributors)");
    expect(row(active.stdout, "endpoint")).toBe("127.0.0.1:9");

    // A full node takes no more.
    await failsWith("node 6 is active, not awaiting contributions", ["contribute", "6", "1"], contrib);
  }, 120_000);

  it("update-endpoint: the operator moves the node, the indexer serves the new endpoint; others are refused", async () => {
    const ed25519 = /ed25519\s+([0-9a-f]{64})/.exec((await sessionNode(["keys"], op2)).stdout)![1]!;
    await expect
      .poll(async () => (await listed()).find((n) => n.pubkey_ed25519 === ed25519)?.storage_port, {
        timeout: 20_000,
      })
      .toBe(9);
    node2 = await startOperatorNode(nodeDir2);
    const port = node2.info.storage_port;

    // The contributor is not the operator: refused by the registry, its custom error decoded.
    await failsWith("error: updateEndpoint: NotOperator()", ["update-endpoint"], {
      SESSION_NODE_OPERATOR_KEY_FILE: contributorKeyFile,
      SESSION_NODE_DATA_DIR: nodeDir2,
      PUBLIC_IP: "127.0.0.1",
      PUBLIC_PORT: String(port),
    });
    expect(Number(((await registry.getFunction("getNode")(6n)) as { port: bigint }).port)).toBe(9);
    await failsWith("the port must be 1–65535", ["update-endpoint"], {
      ...op2,
      PUBLIC_IP: "127.0.0.1",
      PUBLIC_PORT: "70000",
    });

    const moved = await sessionNode(["update-endpoint"], {
      ...op2,
      PUBLIC_IP: "127.0.0.1",
      PUBLIC_PORT: String(port),
    });
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`node 6 now at 127.0.0.1:${port}`);
    expect(moved.stderr).toMatch(/updateEndpoint: mined in block \d+/);
    expect(Number(((await registry.getFunction("getNode")(6n)) as { port: bigint }).port)).toBe(port);
    await expect
      .poll(async () => (await listed()).find((n) => n.pubkey_ed25519 === ed25519), { timeout: 20_000 })
      .toMatchObject({ public_ip: "127.0.0.1", storage_port: port });
    const status = await sessionNode(["status"], op2);
    expect(row(status.stdout, "endpoint")).toBe(`127.0.0.1:${port}`);
    // The moved node is the one its swarm lists, reachable where the registry says.
    await expect.poll(() => node2!.ctx.membership.mySwarm() !== undefined, { timeout: 20_000 }).toBe(true);
    expect(status.stdout).toContain(`${ed25519}  127.0.0.1:`);
  }, 120_000);

  it("claim: rewards and operator fees earned while chain time passes", async () => {
    // The devnet's pool starts empty: nothing has been earned, and claiming says so.
    expect((await registry.getFunction("rewardPool")()) as bigint).toBe(0n);
    await failsWith("claimRewards: NothingToClaim()", ["claim", "6"], contrib);

    // The admin funds it; 1 SESH a second is shared by the active nodes (the devnet's 4 and node 6).
    await (await sesh.getFunction("approve")(await registry.getAddress(), 100_000n * SESH)).wait();
    await (await registry.getFunction("fundRewards")(100_000n * SESH)).wait();
    expect((await registry.getFunction("activeNodeCount")()) as bigint).toBe(5n);
    await advance(1000);

    // Node 6's share of ≥ 1000 s is ≥ 200 SESH: 5 % fee to the operator, the rest by stake (1:3).
    const pending = await sessionNode(["status"], op2);
    const pendingOp = Number(/^rewards\s+([\d.]+) SESH pending/m.exec(pending.stdout)![1]);
    expect(pendingOp).toBeGreaterThanOrEqual(47.5);

    const before2 = await balance(operator2.address);
    const c2 = await sessionNode(["claim"], op2);
    expect(c2.code, c2.stderr).toBe(0);
    const got2 = (await balance(operator2.address)) - before2;
    expect(c2.stdout).toContain(`claimed ${formatUnits(got2, 9)} SESH`);
    // 10 SESH fee + 47.5 SESH stake share for 1000 s; a few more seconds pass between the blocks.
    expect(got2).toBeGreaterThanOrEqual(57_500_000_000n);
    expect(got2).toBeLessThan(60_000_000_000n);

    const beforeC = await balance(contributor.address);
    const cc = await sessionNode(["claim", "6"], contrib);
    expect(cc.code, cc.stderr).toBe(0);
    const gotC = (await balance(contributor.address)) - beforeC;
    expect(cc.stdout).toContain(`claimed ${formatUnits(gotC, 9)} SESH`);
    expect(gotC).toBeGreaterThanOrEqual(142_500_000_000n);
    expect(gotC).toBeLessThan(150_000_000_000n);

    // Node 5 exited before the pool held anything: its operator has nothing to claim from it.
    await failsWith("claimRewards: NothingToClaim()", ["claim", "5"]);
  }, 120_000);
});
