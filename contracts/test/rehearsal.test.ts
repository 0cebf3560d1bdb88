// Rehearsal of a testnet deployment: the real Ignition module with the Arbitrum Sepolia parameters,
// against a local JSON-RPC chain configured as Arbitrum Sepolia (EDR over HTTP, chain id 421614);
// the deployment file; the sns-indexer started from that file alone; an operator's node registered.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSeed, keypairFromSeed, signNodeRegistration, toHex } from "@session/crypto";
import { expect } from "chai";
import { Contract } from "ethers";
import { network } from "hardhat";
import { type InProcessChain, startInProcessChain } from "../src/chain.ts";
import { buildDeploymentFile } from "../src/deployment-file.ts";
import { deployWithIgnition } from "../src/ignition.ts";
import { serviceNodeRegistryAbi, seshAbi } from "../src/index.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const PARAMS = join(root, "ignition", "parameters", "arbitrumSepolia.json");

/** The repo's Node 20 (the indexer's native SQLite module is built for it), not Hardhat's Node 22. */
function repoNode(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir.includes("node_modules")) continue;
    if (existsSync(join(dir, "node"))) return join(dir, "node");
  }
  return "node";
}

describe("testnet rehearsal (Ignition → deployment file → sns-indexer)", function () {
  this.timeout(180_000);
  let chain: InProcessChain;
  let indexer: ChildProcess | undefined;
  const deploymentId = `rehearsal-${process.pid}-${Date.now()}`;
  const ignitionDir = join(root, "ignition", "deployments", deploymentId);
  const tmp = mkdtempSync(join(tmpdir(), "rehearsal-"));

  after(async () => {
    indexer?.kill("SIGTERM");
    await chain?.close();
    rmSync(ignitionDir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  it("deploys with the Sepolia parameters, redeploys idempotently, and the indexer sees a node registered afterwards", async () => {
    chain = await startInProcessChain({ chainId: 421614 });
    const url = await chain.serve();
    await chain.provider.send("hardhat_mine", ["0x10"]); // the deployment does not start at block 1
    const conn = await network.create({ network: "localhost", override: { url } });
    // The one deployment path (src/ignition.ts), which the devnet takes too.
    const deploy = () =>
      deployWithIgnition({
        provider: conn.provider as never,
        deploymentDir: ignitionDir,
        network: "arbitrumSepolia",
        parameters: PARAMS,
      });
    const file = await deploy();
    const registryAddress = file.serviceNodeRegistry;
    const deployed = new Contract(registryAddress, serviceNodeRegistryAbi as never, chain.provider);
    expect(await deployed.getFunction("stakingRequirement")()).to.equal(20_000n * 10n ** 9n);
    expect(await deployed.getFunction("exitDelay")()).to.equal(14n * 24n * 3600n);

    // Idempotent: the journal says everything is done, so nothing is sent again.
    const head = await chain.provider.getBlockNumber();
    const again = await deploy();
    expect(again).to.deep.equal(file);
    expect(await chain.provider.getBlockNumber()).to.equal(head);
    expect(buildDeploymentFile("arbitrumSepolia", ignitionDir, 421614)).to.deep.equal(file);

    expect(file.chainId).to.equal(421614);
    expect(file.deploymentBlock).to.be.greaterThan(16);
    const deploymentPath = join(tmp, "arbitrumSepolia.json");
    writeFileSync(deploymentPath, JSON.stringify(file, null, 2));

    // The indexer, configured by the deployment file and the RPC URL alone.
    indexer = spawn(repoNode(), ["--import", "tsx", "src/main.ts"], {
      cwd: join(root, "..", "apps", "sns-indexer"),
      env: {
        PATH: process.env.PATH ?? "",
        SNS_RPC_URL: url,
        SNS_DEPLOYMENT_FILE: deploymentPath,
        SNS_CONFIRMATIONS: "0",
        SNS_POLL_MS: "200",
        DATABASE_URL: `sqlite:${join(tmp, "indexer.sqlite")}`,
        PORT: "0",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Record<string, unknown>[] = [];
    let stderr = "";
    indexer.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    let buf = "";
    indexer.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let i = buf.indexOf("\n");
      while (i >= 0) {
        try {
          lines.push(JSON.parse(buf.slice(0, i)));
        } catch {}
        buf = buf.slice(i + 1);
        i = buf.indexOf("\n");
      }
    });
    // tsx compiles the indexer at start: slow on a loaded machine, so the wait is generous.
    const until = Date.now() + 120_000;
    let indexerUrl: string | undefined;
    while (!indexerUrl && Date.now() < until) {
      indexerUrl = lines.find((l) => l.msg === "sns-indexer listening")?.url as string | undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(indexerUrl, `indexer did not start; stderr: ${stderr.slice(-2000)}`).to.be.a("string");
    const firstBatch = lines.find((l) => l.msg === "indexed batch");
    expect(firstBatch?.from).to.equal(file.deploymentBlock);

    // An operator stakes and registers a node with the node key's proof.
    const [deployer, operator] = await conn.ethers.getSigners();
    const requirement = 20_000n * 10n ** 9n;
    const sesh = new Contract(file.sesh, seshAbi as never, deployer);
    await (await sesh.getFunction("transfer")(operator!.address, requirement)).wait();
    await (
      await (sesh.connect(operator!) as Contract).getFunction("approve")(registryAddress, requirement)
    ).wait();
    const node = keypairFromSeed(generateSeed());
    const proof = signNodeRegistration(node.ed25519.secretKey, {
      chainId: 421614n,
      registry: registryAddress,
      operator: operator!.address,
      ed25519: node.ed25519.publicKey,
      x25519: node.x25519.publicKey,
      ip: 0xcb007107,
      port: 22021,
    });
    const registry = new Contract(registryAddress, serviceNodeRegistryAbi as never, operator);
    await (
      await registry.getFunction("registerNode")(
        `0x${toHex(node.ed25519.publicKey)}`,
        `0x${toHex(node.x25519.publicKey)}`,
        0xcb007107,
        22021,
        500,
        requirement,
        proof,
      )
    ).wait();
    let listed: { pubkey_ed25519: string; public_ip: string }[] = [];
    while (listed.length === 0 && Date.now() < until + 30_000) {
      const body = (await (await fetch(`${indexerUrl}/v1/nodes`)).json()) as { nodes: typeof listed };
      listed = body.nodes;
      if (listed.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(listed.map((n) => n.pubkey_ed25519)).to.deep.equal([toHex(node.ed25519.publicKey)]);
    expect(listed[0]!.public_ip).to.equal("203.0.113.7");
    await conn.close();
  });
});
