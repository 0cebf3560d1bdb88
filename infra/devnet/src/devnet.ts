import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DeploymentFile } from "@session/contracts/deployment-file";
import { type RunningNode, startNode } from "@session/node";
import { certFingerprint, formatSeed, nodeHttp } from "@session/node-tls";
import { createLogger, type Logger } from "@session/service-kit";
import { configFromEnv, envSchema, type RunningIndexer, startIndexer } from "@session/sns-indexer";
import {
  type ChildService,
  type Cleanups,
  communityServerService,
  fileServerService,
  pushServerService,
  startChildService,
  waitFor,
} from "./child-services.ts";
import { startDevnetChain } from "./devnet-chain.ts";
import { freeServicePort } from "./free-port.ts";
import { stakeAndRegisterNode } from "./register-node.ts";
import { startStatusServer } from "./status.ts";

export interface DevnetOptions {
  /** Storage nodes to run (default 12). */
  nodes?: number;
  /**
   * Serve the nodes over plain HTTP instead of HTTPS (default false: nodes serve TLS with their
   * self-signed certificates, as in production, and every client pins the seed's certificate).
   */
  http?: boolean;
  /** Where every service keeps its data (created if missing). */
  dataDir: string;
  /** Start the file server as a child process (default true). */
  fileServer?: boolean;
  /** Start a community server with one open room "lobby" as a child process (default true). */
  communityServer?: boolean;
  /** Start the push server (log notifier) as a child process (default true). */
  pushServer?: boolean;
  /** One line per step, for a progress display. */
  onProgress?: (step: string, done: number, total: number) => void;
  logger?: Logger;
}

export interface DevnetNode {
  url: string;
  pubkeyEd25519: string;
  pubkeyX25519: string;
  swarm: string | null;
  node: RunningNode;
}

export interface Devnet {
  /** The seed node's URL (node 0's `url`). */
  seedUrl: string;
  /**
   * The seed as clients are configured with it: `https://127.0.0.1:<port>#sha256=<its certificate's
   * fingerprint>` (just the URL on a plain-HTTP devnet). `session --network <seed>`,
   * `new SessionClient({ seeds: [seed] })`, the push server's `SEED_NODES`.
   */
  seed: string;
  /** Every node as a pinned seed string (same form as `seed`). */
  seeds: string[];
  /** "https" unless started with `http: true`. */
  nodeScheme: "http" | "https";
  /**
   * fetch for node URLs only (TLS without CA validation, see @session/node-tls); closed by `stop()`.
   * Anything else (indexer, file server) takes the ordinary fetch.
   */
  nodeFetch: typeof fetch;
  chainUrl: string;
  indexerUrl: string;
  /** What the Ignition deployment wrote to `deploymentFile`. */
  deployment: DeploymentFile;
  /** `<dataDir>/deployments/devnet.json`: addresses, chain id, deployment block. */
  deploymentFile: string;
  nodes: DevnetNode[];
  fileServer?: { url: string; x25519: string };
  pushServer?: { url: string; x25519: string };
  /** The community server and its open room's join link (`https://host/room?public_key=…`). */
  communityServer?: { url: string; x25519: string; joinUrl: string };
  /** Status page: nodes, swarms, message counts, and a traced onion request. */
  statusUrl: string;
  /** Re-reads node swarms (after membership changes). */
  status(): DevnetNode[];
  stop(): Promise<void>;
}

/**
 * The whole local network on loopback: an in-process Hardhat (EDR) chain served over JSON-RPC with
 * the contracts deployed, N storage nodes staked and registered on-chain, the sns-indexer
 * following the chain, the nodes reading their registry from the indexer, and the file server.
 */
export async function startDevnet(opts: DevnetOptions): Promise<Devnet> {
  const n = opts.nodes ?? 12;
  const logger = opts.logger ?? createLogger({ name: "devnet", level: "warn" });
  const total = 6 + n;
  let done = 0;
  const step = (s: string) => opts.onProgress?.(s, ++done, total);
  mkdirSync(opts.dataDir, { recursive: true });
  const cleanups: Cleanups = [];
  const http = opts.http ?? false;
  const nodeScheme = http ? "http" : "https";
  const nodeTls = nodeHttp();
  cleanups.push(() => nodeTls.close());
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };

  try {
    const { chain, chainUrl, admin, params, deployment, deploymentFile } = await startDevnetChain(
      opts.dataDir,
      cleanups,
    );
    step(
      `chain ${chainUrl} (id ${deployment.chainId}): SESH ${deployment.sesh}, ServiceNodeRegistry ${deployment.serviceNodeRegistry}, ` +
        `SessionNameService ${deployment.sessionNameService} (from block ${deployment.deploymentBlock}; ${deploymentFile})`,
    );

    // Configured from the deployment file, as an operator's indexer would be.
    const indexer: RunningIndexer = await startIndexer(
      configFromEnv(
        envSchema.parse({
          SNS_RPC_URL: chainUrl,
          SNS_DEPLOYMENT_FILE: deploymentFile,
          DATABASE_URL: `sqlite:${join(opts.dataDir, "indexer", "indexer.sqlite")}`,
          SNS_CONFIRMATIONS: "0",
          SNS_BATCH_SIZE: "1000",
          SNS_REORG_DEPTH: "16",
          SNS_POLL_MS: "250",
          PORT: "0",
          LOG_LEVEL: "warn",
        }),
      ),
      { eip1193: chain.eip1193, logger: logger.child({ svc: "indexer" }) },
    );
    cleanups.push(() => indexer.stop());
    step("sns-indexer following the chain");

    // The file, push and community servers' ports are chosen now: nodes let final onion hops reach them (and
    // only them, besides 443/80) on loopback, a setting no node outside a devnet has.
    const servicePorts = {
      fileServer: await freeServicePort(),
      pushServer: await freeServicePort(),
      communityServer: await freeServicePort(),
    };
    const nodes: RunningNode[] = [];
    const seeds: string[] = [];
    for (let i = 0; i < n; i++) {
      const nodeDir = join(opts.dataDir, `node-${String(i).padStart(2, "0")}`);
      const node = await startNode(
        {
          dataDir: nodeDir,
          host: "127.0.0.1",
          port: 0,
          publicIp: "127.0.0.1",
          http,
          registry: { url: indexer.url, pollMs: 1000 },
          sweepIntervalMs: 10_000,
          maxBodyBytes: 10 * 1024 * 1024,
          rateLimit: { perSecond: 1000, burst: 2000 },
          onionServers: {
            allowPrivateAddresses: true,
            allowedPorts: [
              443,
              80,
              servicePorts.fileServer,
              servicePorts.pushServer,
              servicePorts.communityServer,
            ],
          },
          logLevel: "warn",
        },
        { logger: logger.child({ svc: `node-${i}` }) },
      );
      nodes.push(node);
      cleanups.push(() => node.stop());
      // The node keeps its self-signed certificate there: clients pin it when it is their seed.
      seeds.push(
        formatSeed(
          http
            ? { url: node.url }
            : { url: node.url, certSha256: certFingerprint(readFileSync(join(nodeDir, "tls.crt"), "utf8")) },
        ),
      );
      // Stake and register the node on-chain from its own operator account.
      await stakeAndRegisterNode({
        deployment,
        admin,
        operator: await chain.signer(1 + (i % 19)),
        stake: params.stakingRequirement,
        keys: node.ctx.keys,
        port: node.info.storage_port,
      });
      step(`node ${i + 1}/${n} staked and registered`);
    }

    await waitFor(
      "the indexer to list every node",
      () => indexer.follower.state.activeNodeInfos().length === n,
    );
    await Promise.all(nodes.map((x) => x.refreshRegistry()));
    await waitFor("every node to know its swarm", () =>
      nodes.every((x) => x.ctx.membership.mySwarm() !== undefined),
    );
    step("nodes joined their swarms");

    const start = (service: ChildService, dir: string, port: number) =>
      startChildService(service, join(opts.dataDir, dir), port, cleanups);
    const fileServer =
      (opts.fileServer ?? true)
        ? await start(fileServerService, "file-server", servicePorts.fileServer)
        : undefined;
    step("file server up");
    const community =
      (opts.communityServer ?? true)
        ? await start(communityServerService, "community-server", servicePorts.communityServer)
        : undefined;
    const communityServer = community && {
      ...community,
      joinUrl: `${community.url}/lobby?public_key=${community.x25519}`,
    };
    step("community server up (room lobby)");
    const pushServer =
      (opts.pushServer ?? true)
        ? await start(pushServerService({ seeds, nodeScheme }), "push-server", servicePorts.pushServer)
        : undefined;
    step("push server up (log notifier)");

    const status = (): DevnetNode[] =>
      nodes.map((x) => ({
        url: x.url,
        pubkeyEd25519: x.info.pubkey_ed25519,
        pubkeyX25519: x.info.pubkey_x25519,
        swarm: x.ctx.membership.mySwarm()?.id.toString(16).padStart(16, "0") ?? null,
        node: x,
      }));
    const membership = nodes[0]!.ctx.membership;
    const statusServer = await startStatusServer({
      seedUrl: nodes[0]!.url,
      nodeScheme,
      nodeFetch: nodeTls.fetch,
      indexerUrl: indexer.url,
      chainUrl,
      ...(fileServer ? { fileServerUrl: fileServer.url } : {}),
      ...(communityServer ? { communityJoinUrl: communityServer.joinUrl } : {}),
      nodes: () =>
        nodes.map((x) => ({
          url: x.url,
          pubkeyEd25519: x.info.pubkey_ed25519,
          swarm: x.ctx.membership.mySwarm()?.id.toString(16).padStart(16, "0") ?? null,
          messages: () => x.ctx.store.count(Date.now()),
        })),
      network: {
        allNodes: () => membership.allNodes(),
        swarmOf: (id) => membership.swarmOf(id)?.members ?? [],
      },
    });
    cleanups.push(() => statusServer.close());
    return {
      statusUrl: statusServer.url,
      seedUrl: nodes[0]!.url,
      seed: seeds[0]!,
      seeds,
      nodeScheme,
      nodeFetch: nodeTls.fetch,
      chainUrl,
      indexerUrl: indexer.url,
      deployment,
      deploymentFile,
      nodes: status(),
      ...(fileServer ? { fileServer } : {}),
      ...(pushServer ? { pushServer } : {}),
      ...(communityServer ? { communityServer } : {}),
      status,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
