// `session-node keys|register|contribute|update-endpoint|status|exit|finalize-exit|claim`: the
// operator's commands (README "Run a node on a testnet"). Configuration comes from the environment
// (and a few flags for non-secret values); the wallet key only from the environment or a key file.
import { parseArgs } from "node:util";
import { serviceNodeRegistryAbi, seshAbi } from "@session/contracts/abis";
import {
  type ChainCliIo,
  ChainError,
  connectChain,
  loadPrivateKey,
  parseAddress,
  processCliIo,
  readDeploymentFile,
  walletFor,
} from "@session/contracts/wallet";
import { toHex } from "@session/crypto";
import { stringOptions } from "@session/service-kit";
import { Contract, parseUnits } from "ethers";
import { loadNodeKeys } from "../keys.ts";
import { isOperatorCommand } from "./command-names.ts";
import {
  claim,
  contribute,
  finalizeExit,
  formatSesh,
  getNode,
  type OperatorDeps,
  ownNodeId,
  registerNode,
  requestExit,
  SESH_DECIMALS,
  STATUS,
  swarmOf,
  updateEndpoint,
} from "./commands.ts";
import { OperatorError } from "./errors.ts";

export const OPERATOR_USAGE = `Usage: session-node [start] [--data-dir <dir>]     run the node (no command: start)
       session-node <command> [options]           operate it on the staking registry

Commands:
  keys                         print the node's Ed25519 and X25519 public keys (creates them once)
  register [--fee-bps 500] [--stake <SESH>]
                               stake (full requirement by default, at least 25 %) with a permit and
                               register the node at PUBLIC_IP:PUBLIC_PORT, its key signing the proof
  contribute <node id> <SESH>  add stake from the wallet to a node awaiting contributions
  update-endpoint              move the node to PUBLIC_IP:PUBLIC_PORT (new key proof)
  status                       the node's on-chain state, stake, rewards and swarm
  exit                         request the exit (stakes unlock after the exit delay)
  finalize-exit [<node id>]    return the stakes once unlocked (anyone may call it)
  claim [<node id>…]           claim rewards and operator fees

Environment:
  SESSION_NODE_RPC_URL            JSON-RPC URL of the chain (or --rpc)
  SESSION_NODE_DEPLOYMENT_FILE    deployments/<network>.json (or --deployment), or both of
  SESSION_NODE_CHAIN_ID, SESSION_NODE_REGISTRY_ADDRESS
  SESSION_NODE_OPERATOR_KEY_FILE  file holding the wallet's private key (or --key-file), or
  SESSION_NODE_OPERATOR_KEY       the key itself (never pass a key as a flag)
  SESSION_NODE_DATA_DIR           the node's data dir, where its key lives (or --data-dir)
  PUBLIC_IP, PUBLIC_PORT (or PORT) the endpoint to register (or --ip, --port)
  REGISTRY_URL                    sns-indexer URL, for the swarm shown by status (or --indexer)`;

function parseSesh(what: string, v: string | undefined): bigint {
  if (!v) throw new OperatorError("BAD_ARGUMENT", `${what}: give an amount in SESH`);
  try {
    const amount = parseUnits(v, SESH_DECIMALS);
    if (amount <= 0n) throw new Error("not positive");
    return amount;
  } catch (e) {
    throw new OperatorError("BAD_ARGUMENT", `${what}: "${v}" is not a positive SESH amount`, { cause: e });
  }
}

function parseNodeId(v: string): bigint {
  if (!/^[1-9]\d{0,18}$/.test(v)) throw new OperatorError("BAD_ARGUMENT", `"${v}" is not a node id`);
  return BigInt(v);
}

/** Runs one operator command; throws OperatorError/ChainError with a readable message. */
export async function operatorCli(argv: string[], io: ChainCliIo = processCliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...stringOptions(
        "data-dir",
        "rpc",
        "deployment",
        "key-file",
        "indexer",
        "ip",
        "port",
        "fee-bps",
        "stake",
      ),
      help: { type: "boolean", short: "h" },
    },
  });
  const [cmd, ...args] = positionals;
  if (values.help || !cmd) {
    io.out(OPERATOR_USAGE);
    return;
  }
  const env = io.env;
  const keys = loadNodeKeys(values["data-dir"] ?? env.SESSION_NODE_DATA_DIR ?? "./data/node");
  const ed25519 = toHex(keys.ed25519.publicKey);
  if (cmd === "keys") {
    io.out(`ed25519  ${ed25519}`);
    io.out(`x25519   ${toHex(keys.x25519.publicKey)}`);
    return;
  }
  if (!isOperatorCommand(cmd))
    throw new OperatorError("BAD_ARGUMENT", `unknown command "${cmd}" (session-node --help)`);

  const rpcUrl = values.rpc ?? env.SESSION_NODE_RPC_URL;
  if (!rpcUrl)
    throw new OperatorError("CONFIG", "set SESSION_NODE_RPC_URL (or --rpc) to the chain's JSON-RPC URL");
  const deploymentPath = values.deployment ?? env.SESSION_NODE_DEPLOYMENT_FILE;
  let chainId: number;
  let registryAddress: string;
  if (deploymentPath) {
    const d = readDeploymentFile(deploymentPath);
    if (!d.serviceNodeRegistry)
      throw new OperatorError("CONFIG", `${deploymentPath} names no serviceNodeRegistry`);
    chainId = d.chainId;
    registryAddress = d.serviceNodeRegistry;
  } else {
    chainId = Number(env.SESSION_NODE_CHAIN_ID);
    if (!Number.isSafeInteger(chainId) || chainId <= 0 || !env.SESSION_NODE_REGISTRY_ADDRESS)
      throw new OperatorError(
        "CONFIG",
        "set SESSION_NODE_DEPLOYMENT_FILE, or SESSION_NODE_CHAIN_ID and SESSION_NODE_REGISTRY_ADDRESS",
      );
    registryAddress = parseAddress("SESSION_NODE_REGISTRY_ADDRESS", env.SESSION_NODE_REGISTRY_ADDRESS);
  }
  const key = loadPrivateKey({
    keyVar: "SESSION_NODE_OPERATOR_KEY",
    fileVar: "SESSION_NODE_OPERATOR_KEY_FILE",
    file: values["key-file"],
    env,
  });
  const provider = await connectChain(rpcUrl, chainId);
  try {
    const wallet = walletFor(key, provider);
    const registry = new Contract(registryAddress, serviceNodeRegistryAbi as never, wallet);
    const sesh = new Contract((await registry.getFunction("token")()) as string, seshAbi as never, wallet);
    const d: OperatorDeps = {
      provider,
      wallet,
      registry,
      sesh,
      chainId: BigInt(chainId),
      keys,
      progress: io.progress,
    };
    const endpoint = () => {
      const ip = values.ip ?? env.PUBLIC_IP;
      const port = Number(values.port ?? env.PUBLIC_PORT ?? env.PORT ?? 22021);
      if (!ip)
        throw new OperatorError("CONFIG", "set PUBLIC_IP (or --ip): the IPv4 address the node is reached at");
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new OperatorError("BAD_ARGUMENT", "the port must be 1–65535");
      return { ip, port };
    };
    io.progress(`operator ${wallet.address} on chain ${chainId}, registry ${registryAddress}`);
    switch (cmd) {
      case "register": {
        const feeBps = Number(values["fee-bps"] ?? 500);
        const stake = values.stake === undefined ? undefined : parseSesh("--stake", values.stake);
        const id = await registerNode(d, { ...endpoint(), feeBps, stake });
        io.out(`registered node ${id} (ed25519 ${ed25519})`);
        break;
      }
      case "contribute": {
        const id = parseNodeId(args[0] ?? "");
        const amount = parseSesh("contribute", args[1]);
        const n = await contribute(d, id, amount);
        io.out(
          `contributed ${formatSesh(amount)} to node ${id}: ${formatSesh(n.totalStaked)} of ${formatSesh(n.stakingRequirement)} staked, ${STATUS[n.status] ?? n.status}`,
        );
        break;
      }
      case "update-endpoint": {
        const e = endpoint();
        io.out(`node ${await updateEndpoint(d, e)} now at ${e.ip}:${e.port}`);
        break;
      }
      case "exit": {
        const id = await requestExit(d);
        const n = await getNode(d, id);
        io.out(
          n.status === 4
            ? `node ${id} exited; stakes returned`
            : `node ${id} exiting; stakes unlock at ${new Date(Number(n.unlockAt) * 1000).toISOString()} (then: session-node finalize-exit)`,
        );
        break;
      }
      case "finalize-exit":
        io.out(
          `node ${await finalizeExit(d, args[0] ? parseNodeId(args[0]) : undefined)} exited; stakes returned`,
        );
        break;
      case "claim":
        io.out(`claimed ${formatSesh(await claim(d, args.length > 0 ? args.map(parseNodeId) : undefined))}`);
        break;
      case "status":
        await printStatus(d, ed25519, values.indexer ?? env.REGISTRY_URL, io);
        break;
    }
  } finally {
    provider.destroy();
  }
}

async function printStatus(d: OperatorDeps, ed25519: string, indexerUrl: string | undefined, io: ChainCliIo) {
  io.out(`ed25519      ${ed25519}`);
  const id = await ownNodeId(d);
  if (id === 0n) {
    io.out("on-chain     not registered (session-node register)");
    return;
  }
  const n = await getNode(d, id);
  io.out(`node id      ${id}`);
  io.out(`status       ${STATUS[n.status] ?? n.status}`);
  io.out(`operator     ${n.operator}${n.operator === d.wallet.address ? " (this wallet)" : ""}`);
  io.out(`endpoint     ${n.ip}:${n.port}`);
  io.out(
    `stake        ${formatSesh(n.totalStaked)} of ${formatSesh(n.stakingRequirement)} (${n.contributors.length} contributors)`,
  );
  io.out(`fee          ${(n.feeBps / 100).toFixed(2)} %`);
  if (n.status === 3) io.out(`unlocks at   ${new Date(Number(n.unlockAt) * 1000).toISOString()}`);
  const pending = (await d.registry.getFunction("pendingRewards")(id, d.wallet.address)) as bigint;
  const fees = (await d.registry.getFunction("operatorFees")(d.wallet.address)) as bigint;
  io.out(`rewards      ${formatSesh(pending)} pending, ${formatSesh(fees)} operator fees settled`);
  if (!indexerUrl) {
    io.out("swarm        (set REGISTRY_URL or --indexer to show it)");
    return;
  }
  const swarm = await swarmOf(indexerUrl, ed25519);
  if (!swarm.swarmId) {
    io.out("swarm        none yet (the indexer lists active nodes only)");
    return;
  }
  io.out(`swarm        ${swarm.swarmId} (${swarm.members.length} nodes)`);
  for (const m of swarm.members)
    io.out(
      `  ${m.pubkey_ed25519}  ${m.public_ip}:${m.storage_port}${m.pubkey_ed25519 === ed25519 ? "  (this node)" : ""}`,
    );
}

/** Exit code and message for an error thrown by `operatorCli`. */
export function describeError(err: unknown): string {
  if (err instanceof OperatorError || err instanceof ChainError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
