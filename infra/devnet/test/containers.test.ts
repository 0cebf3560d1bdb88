import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  defaultDeployParams,
  deploySessionContracts,
  type InProcessChain,
  startInProcessChain,
} from "@session/contracts";
import { fromHex, keypairFromSeed } from "@session/crypto";
import { certFingerprint, formatSeed, nodeHttp } from "@session/node-tls";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
// By path, not as a dependency: @session/client depends on this package (a cycle for turbo).
import { createIdentity, SessionClient } from "../../../packages/client/src/index.ts";
import { freeServicePort } from "../src/free-port.ts";
import { stakeAndRegisterNode } from "../src/register-node.ts";

/*
 * The images built and run on a real Docker engine (issue #17): infra/docker/engine.sh starts a
 * private dockerd, builds a Debian + Node base (no registry here) and the one image of every app;
 * the services then run as containers configured as infra/compose.yaml configures them (its
 * environment and named volumes, with host networking and free loopback ports instead of the
 * compose network), against a chain this test serves on the host.
 *
 * Not part of `pnpm test` (the cold build takes minutes): `pnpm --filter @session/devnet
 * test:containers`, run by .ci/run. Skips, saying why, only where no engine can start.
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const engineSh = join(root, "infra", "docker", "engine.sh");
const NODES = 4;
const STOP_GRACE_S = 10;

const say = (line: string) => process.stderr.write(`[containers] ${line}\n`);

const check = spawnSync("bash", [engineSh, "check"], { encoding: "utf8" });
const noEngine =
  check.status === 0 ? undefined : check.stderr.trim() || `engine.sh check exited ${check.status}`;
if (noEngine) say(`skipped: ${noEngine}`);
// .ci/run installs the engine's packages and sets SESSION_REQUIRE_ENGINE=1: a skip there is a failure.
if (
  noEngine &&
  ((process.env.CI === "true" && check.status !== 3) || process.env.SESSION_REQUIRE_ENGINE === "1")
)
  throw new Error(noEngine);

/** `engine.sh <cmd>` with a condensed progress line per build step; the full log on failure. */
function engine(cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [engineSh, cmd], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const log: string[] = [];
    child.stdout.on("data", (d) => {
      out += d;
    });
    let partial = "";
    let lastBeat = Date.now();
    child.stderr.on("data", (d) => {
      const lines = (partial + d).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        log.push(l);
        if (log.length > 400) log.shift();
        // BuildKit (#n [stage k/m] …, #n DONE t) or the classic builder (Step k/m : …).
        if (/^engine\.sh:|^#\d+ \[|^#\d+ DONE|^Step \d+\/\d+|ERROR|error:/i.test(l)) {
          say(l.slice(0, 160));
          lastBeat = Date.now();
        } else if (Date.now() - lastBeat > 15_000) {
          // Inside a long step: its latest output line, at most every 15 s.
          say(`  … ${l.slice(0, 150)}`);
          lastBeat = Date.now();
        }
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) return resolve(out);
      reject(new Error(`engine.sh ${cmd} exited ${code}:\n${log.slice(-40).join("\n")}`));
    });
  });
}

let dockerHost = "";
const docker = (...args: string[]): string =>
  execFileSync("docker", args, {
    encoding: "utf8",
    env: { ...process.env, DOCKER_HOST: dockerHost },
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();

/** Polls `ok` every 200 ms until it holds, for up to `timeoutMs`; a throw counts as not yet. */
function waitFor(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  return vi.waitFor(
    async () => {
      const held = await Promise.resolve()
        .then(ok)
        .catch(() => false);
      if (!held) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 200 },
  );
}

interface ComposeService {
  environment: Record<string, string>;
  volumes?: string[];
}
/** infra/compose.yaml's services with their merge keys (`<<: *app`) applied. */
const compose = parseYaml(readFileSync(join(root, "infra", "compose.yaml"), "utf8"), { merge: true }) as {
  name: string;
  services: Record<string, ComposeService>;
};

interface Running {
  name: string;
  app: string;
  url: string;
  volume: string;
}

describe.skipIf(noEngine !== undefined)("service images on a real Docker engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "containers-"));
  const image = process.env.SESSION_APP_IMAGE ?? "session/app:local";
  const prefix = `session-ct-${process.pid}`;
  const nodeTls = nodeHttp();
  let startedEngine = false;
  let chain: InProcessChain | undefined;
  const running: Running[] = [];
  const clients: SessionClient[] = [];
  const examples = new Map<string, Running>();
  let seed = "";

  /**
   * `docker run -d` of one compose service: its environment with `overrides` (host networking:
   * loopback addresses and free ports), its named volume at /data, and `mounts` (host paths).
   */
  function run(
    service: string,
    name: string,
    overrides: Record<string, string>,
    url: string,
    mounts: string[] = [],
  ): Running {
    const spec = compose.services[service];
    if (!spec) throw new Error(`compose.yaml has no service ${service}`);
    const env = { ...spec.environment, ...overrides };
    const volume = `${prefix}-${name}`;
    const args = ["run", "-d", "--name", `${prefix}-${name}`, "--network", "host"];
    args.push("--stop-timeout", String(STOP_GRACE_S), "-v", `${volume}:/data`);
    for (const m of mounts) args.push("-v", m);
    for (const [k, v] of Object.entries(env)) args.push("-e", `${k}=${v}`);
    docker(...args, image);
    const r = { name: `${prefix}-${name}`, app: env.APP!, url, volume };
    running.push(r);
    return r;
  }

  /**
   * Waits for `/health` to answer 200 (or, with `listening`, any answer: a node answers 503 until
   * it is registered on-chain and listed by the indexer).
   */
  async function healthy(r: Running, viaNodeTls = false, listening = false): Promise<void> {
    const f = viaNodeTls ? nodeTls.fetch : fetch;
    await waitFor(`${r.name} /health`, async () => {
      const state = docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", r.name);
      if (!state.startsWith("running")) {
        throw new Error(`${r.name} is ${state}:\n${docker("logs", "--tail", "30", r.name)}`);
      }
      const res = await f(`${r.url}/health`);
      return res.ok || (listening && res.status === 503);
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${docker("logs", "--tail", "30", r.name)}`);
    });
  }

  /**
   * Runs `service` with its host and port variables (`hostVar`, `portVar`) set to loopback and a
   * free port, with `env`, and waits until it is healthy.
   */
  async function runOnLoopback(
    service: string,
    [hostVar, portVar]: [string, string],
    env: Record<string, string> = {},
  ): Promise<Running> {
    const port = await freeServicePort();
    const r = run(
      service,
      service,
      { [hostVar]: "127.0.0.1", [portVar]: String(port), ...env },
      `http://127.0.0.1:${port}`,
    );
    await healthy(r);
    return r;
  }

  beforeAll(async () => {
    const t0 = Date.now();
    startedEngine = spawnSync("bash", [engineSh, "env"]).status !== 0;
    const up = await engine("up");
    dockerHost = /DOCKER_HOST=(\S+)/.exec(up)?.[1] ?? "";
    expect(dockerHost).toMatch(/^unix:\/\//);
    say(`image ${image} ready after ${Math.round((Date.now() - t0) / 1000)}s`);

    // The chain on the host, the contracts deployed, the deployment file the indexer mounts.
    chain = await startInProcessChain();
    const chainUrl = await chain.serve();
    const admin = await chain.signer(0);
    const params = defaultDeployParams(await admin.getAddress());
    const deployment = await deploySessionContracts(admin, params);
    const deployDir = join(dir, "deploy");
    mkdirSync(deployDir, { recursive: true });
    writeFileSync(join(deployDir, "deployment.json"), JSON.stringify({ network: "devnet", ...deployment }));
    chmodSync(dir, 0o755);
    say(`chain ${chainUrl}, contracts deployed`);

    const indexerPort = await freeServicePort();
    const indexer = run(
      "indexer",
      "indexer",
      {
        SNS_RPC_URL: chainUrl,
        HOST: "127.0.0.1",
        PORT: String(indexerPort),
        SNS_CONFIRMATIONS: "0",
        SNS_POLL_MS: "250",
      },
      `http://127.0.0.1:${indexerPort}`,
      [`${deployDir}:/deploy:ro`],
    );
    await healthy(indexer);
    const indexerUrl = indexer.url;
    say("sns-indexer container healthy");

    // Nodes: each makes its keys on its volume at first start; its operator registers it on-chain
    // with the node key's proof, read from that volume as an operator would.
    const nodes: Running[] = [];
    for (let i = 0; i < NODES; i++) {
      const port = await freeServicePort();
      nodes.push(
        run(
          "node-1",
          `node-${i + 1}`,
          {
            HOST: "127.0.0.1",
            PORT: String(port),
            PUBLIC_IP: "127.0.0.1",
            REGISTRY_URL: indexerUrl,
            REGISTRY_POLL_MS: "500",
          },
          `https://127.0.0.1:${port}`,
        ),
      );
    }
    for (const [i, n] of nodes.entries()) {
      await healthy(n, true, true);
      await stakeAndRegisterNode({
        deployment,
        admin,
        operator: await chain.signer(1 + i),
        stake: params.stakingRequirement,
        keys: keypairFromSeed(fromHex(docker("exec", n.name, "cat", "/data/node.seed"))),
        port: Number(new URL(n.url).port),
      });
      say(`node ${i + 1}/${NODES} container listening, registered on-chain`);
    }
    // Every node lists every node (oxend's seed call, answered from the registry it polls).
    for (const n of nodes)
      await waitFor(`${n.name} to list ${NODES} nodes`, async () => {
        const res = await nodeTls.fetch(`${n.url}/json_rpc`, {
          method: "POST",
          body: JSON.stringify({ jsonrpc: "2.0", id: "0", method: "get_n_service_nodes", params: {} }),
        });
        const body = (await res.json()) as { result?: { service_node_states?: unknown[] } };
        return body.result?.service_node_states?.length === NODES;
      });
    for (const n of nodes) await healthy(n, true);
    const cert = docker("exec", nodes[0]!.name, "cat", "/data/tls.crt");
    seed = formatSeed({ url: nodes[0]!.url, certSha256: certFingerprint(cert) });

    await runOnLoopback("file-server", ["FS_HOST", "FS_PORT"]);
    await runOnLoopback("push-server", ["HOST", "PORT"], { INDEXER_URL: indexerUrl });
    await runOnLoopback("community-server", ["CS_HOST", "CS_PORT"]);
    say(`file, push and community server containers healthy (${Math.round((Date.now() - t0) / 1000)}s)`);

    // The SDK's example services (APP=examples), connected to the nodes above through their seed.
    for (const name of ["2fa-sender", "broadcaster"]) {
      examples.set(name, await runOnLoopback(name, ["HOST", "PORT"], { SESSION_NETWORK: seed }));
    }
    say("2fa-sender and broadcaster containers healthy");
  }, 900_000);

  afterAll(async () => {
    for (const c of clients) await c.close();
    for (const r of running) {
      try {
        docker("rm", "-f", "-v", r.name);
        docker("volume", "rm", "-f", r.volume);
      } catch {
        // engine already gone
      }
    }
    await chain?.close();
    await nodeTls.close();
    if (startedEngine && !process.env.SESSION_KEEP_ENGINE) await engine("stop").catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    // vfs removes each container's full copy of the image: slow on a busy machine.
  }, 600_000);

  it("runs every app of compose.yaml: indexer, nodes, file, push, community servers and the examples are healthy", async () => {
    expect(running.map((r) => r.app).sort()).toEqual(
      [
        "community-server",
        "file-server",
        "push-server",
        "sns-indexer",
        "examples",
        "examples",
        ...Array(NODES).fill("node"),
      ].sort(),
    );
    for (const r of running) {
      const res = await (r.app === "node" ? nodeTls.fetch : fetch)(`${r.url}/health`);
      expect(res.status, r.name).toBe(200);
    }
  });

  it("each container's PID 1 is `node /srv/<app>/dist/main.js` running as uid 10001", () => {
    for (const r of running) {
      const pid = docker("inspect", "-f", "{{.State.Pid}}", r.name);
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
      expect([uids?.[1], uids?.[2]], r.name).toEqual(["10001", "10001"]);
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      expect(argv, r.name).toEqual(["node", `/srv/${r.app}/dist/main.js`]);
    }
  });

  it("ships no Hardhat with the indexer (it needs only @session/contracts/abis)", () => {
    const indexer = running.find((r) => r.app === "sns-indexer")!;
    const store = docker("exec", indexer.name, "ls", "/srv/sns-indexer/node_modules/.pnpm");
    expect(store).toMatch(/^ethers@/m);
    expect(store).not.toMatch(/^hardhat@/m);
  });

  it("a message stored through a node's onion path is retrieved by its recipient", async () => {
    const alice = createIdentity();
    const bob = createIdentity();
    const a = new SessionClient({ identity: alice, seeds: [seed] });
    const b = new SessionClient({ identity: bob, seeds: [seed] });
    clients.push(a, b);
    await a.connect();
    await b.connect();
    const sent = await a.sendText(bob.sessionId, "hello from a container");
    let got: { hash: string; text?: string | undefined; from: string } | undefined;
    await waitFor("bob's message", async () => {
      got = (await b.poll()).find((m) => m.hash === sent.hash);
      return got !== undefined;
    });
    expect(got?.text).toBe("hello from a container");
    expect(got?.from).toBe(alice.sessionId);
  }, 120_000);

  it("the 2FA sender's container survives a restart: no second code within 60 s, the first still verifies, nothing sent twice", async () => {
    const svc = examples.get("2fa-sender")!;
    // The service's line on stdout (its ID and URL), of the latest start.
    const serviceId = () => {
      const ids = [...docker("logs", svc.name).matchAll(/2fa sender (05[0-9a-f]{64}) listening/g)];
      if (ids.length === 0) throw new Error(`no service line in ${svc.name}'s log`);
      return { id: ids.at(-1)![1]!, starts: ids.length };
    };
    const { id } = serviceId();
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${svc.url}${path}`, { method: "POST", body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const user = async () => {
      const c = new SessionClient({ identity: createIdentity(), seeds: [seed] });
      clients.push(c);
      await c.connect();
      return c;
    };
    const fromService = async (c: SessionClient, got: string[], count: number) => {
      await waitFor(`${count} message(s) from the 2FA sender`, async () => {
        for (const m of await c.poll()) if (m.from === id) got.push(m.text ?? "");
        return got.length >= count;
      });
      return got;
    };

    const u = await user();
    expect(await post("/codes", { sessionId: u.sessionId })).toMatchObject({
      status: 200,
      body: { sent: true },
    });
    const got = await fromService(u, [], 1);
    const code = /code is (\d{6})/.exec(got[0]!)?.[1];
    expect(code).toMatch(/^\d{6}$/);

    // `docker restart`: SIGTERM, then the same container (and volume) starts again.
    docker("restart", "-t", String(STOP_GRACE_S), svc.name);
    await healthy(svc);
    // The service's account and its codes are on the volume: same ID, the resend window holds.
    expect(serviceId()).toEqual({ id, starts: 2 });
    expect(await post("/codes", { sessionId: u.sessionId })).toMatchObject({
      status: 429,
      body: { sent: false },
    });
    expect(await post("/verify", { sessionId: u.sessionId, code })).toEqual({
      status: 200,
      body: { valid: true },
    });
    expect((await post("/verify", { sessionId: u.sessionId, code })).body).toEqual({ valid: false });

    // A code to a second user after the restart: once it has arrived, so would have any repeat
    // to the first (same sender, same network); the first user still holds exactly one.
    const marker = await user();
    expect((await post("/codes", { sessionId: marker.sessionId })).status).toBe(200);
    await waitFor("the marker's code", async () => (await marker.poll()).some((m) => m.from === id));
    for (const m of await u.poll()) if (m.from === id) got.push(m.text ?? "");
    expect(got).toHaveLength(1);
  }, 180_000);

  // Three `docker` calls per container (11 of them): minutes on a loaded 2-core machine (5 seen).
  it("writes only to /data: keys and databases on each container's named volume, nothing elsewhere", () => {
    for (const r of running) {
      const mounts = JSON.parse(docker("inspect", "-f", "{{json .Mounts}}", r.name)) as {
        Type: string;
        Name?: string;
        Destination: string;
      }[];
      // `docker diff` lists what a container changed in its image, outside volumes; the mount
      // points docker itself creates (the indexer's /deploy) are not the app's writes.
      const mountPoints = new Set(mounts.map((m) => m.Destination));
      const changed = docker("diff", r.name)
        .split("\n")
        .filter(Boolean)
        .map((l) => l.slice(2))
        .filter((p) => !mountPoints.has(p));
      expect(
        changed.filter((p) => p !== "/data" && !p.startsWith("/data/")),
        r.name,
      ).toEqual([]);
      expect(
        mounts.find((m) => m.Destination === "/data"),
        r.name,
      ).toMatchObject({
        Type: "volume",
        Name: r.volume,
      });
      expect(
        docker("exec", r.name, "ls", "-A", "/data").split("\n").filter(Boolean).length,
        r.name,
      ).toBeGreaterThan(0);
    }
    const files = (name: string) => docker("exec", `${prefix}-${name}`, "ls", "-A", "/data").split("\n");
    expect(files("node-1")).toEqual(expect.arrayContaining(["node.seed", "tls.crt", "tls.key"]));
    expect(files("file-server")).toEqual(expect.arrayContaining(["x25519.key"]));
    expect(files("push-server")).toEqual(expect.arrayContaining(["x25519.key", "push.sqlite"]));
    expect(files("community-server")).toEqual(expect.arrayContaining(["x25519.key"]));
    expect(files("2fa-sender")).toEqual(expect.arrayContaining(["identity.seed"]));
    expect(files("broadcaster")).toEqual(expect.arrayContaining(["identity.seed"]));
  }, 600_000);

  it("`docker stop` ends every container with exit status 0 well within the grace period", () => {
    for (const r of running) {
      const t = Date.now();
      docker("stop", "-t", String(STOP_GRACE_S), r.name);
      const took = Date.now() - t;
      const [code, oom] = docker("inspect", "-f", "{{.State.ExitCode}} {{.State.OOMKilled}}", r.name).split(
        " ",
      );
      if (code !== "0" || took >= (STOP_GRACE_S * 1000) / 2)
        say(`${r.name} stopped with ${code} after ${took} ms:\n${docker("logs", "--tail", "15", r.name)}`);
      expect({ name: r.name, code, oom }).toEqual({ name: r.name, code: "0", oom: "false" });
      // SIGKILL would come at STOP_GRACE_S: a clean SIGTERM exit is far quicker.
      expect(took, r.name).toBeLessThan((STOP_GRACE_S * 1000) / 2);
    }
  }, 120_000);
});
