// `session name register|renew|show|set|transfer|price`: Session names on the chain, through the
// SDK's NameRegistry. The chain and the wallet come from the environment (or flags for what is not
// secret); the wallet key never from a flag, so it stays out of shell history.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import * as chain from "@session/contracts/wallet";
import { isAddress, type JsonRpcProvider } from "ethers";
import { dataDirOf, sharedOptions } from "./cli/shared-options.ts";
import { ClientError } from "./errors.ts";
import { createIdentity, loadIdentity } from "./identity.ts";
import { checkName, checkSessionId, formatSesh } from "./name-checks.ts";
import { NameRegistry } from "./name-registry.ts";
import type { NameInfo, PendingRegistration } from "./name-types.ts";

export const NAME_USAGE = `Usage: session name <command> [options]

  register <name> [<session id>] [--years N]
                             register a name for a Session ID (default: yours) for N years (1–10,
                             default 1): commit, wait about a minute of chain time, register and pay
  renew <name> [--years N]   extend a name by N years (anyone may pay for a live name; after expiry,
                             during the 90-day grace period, only its owner)
  show <name>                owner, expiry and Session ID from the chain, and the Session ID the
                             network answers (ons_resolve through onion paths) when a network is set
  set <name> [<session id>]  point a name you own to another Session ID (default: yours)
  transfer <name> <address>  give a name you own to another wallet (the record stays)
  price <name> [--years N]   what registering it costs

Chain:   --rpc <url> or SESSION_RPC_URL; --deployment <file> or SESSION_DEPLOYMENT_FILE
         (deployments/<network>.json; the devnet prints its path), or SESSION_CHAIN_ID and
         SESSION_NAME_SERVICE_ADDRESS
Wallet:  SESSION_WALLET_KEY_FILE (or --key-file): a file holding the private key, or
         SESSION_WALLET_KEY: the key itself (never given as a flag). It pays SESH and gas.
Network: --network <seed> or SESSION_NETWORK (for show); --data-dir or SESSION_DATA_DIR (your
         Session ID, for register and set without one)`;

const COMMANDS = ["register", "renew", "show", "set", "transfer", "price"] as const;

/** The name CLI; it writes and reads as every chain CLI does (tests pass their own `io`). */
export async function nameCli(argv: string[], io: chain.ChainCliIo = chain.processCliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rpc: { type: "string" },
      deployment: { type: "string" },
      "key-file": { type: "string" },
      ...sharedOptions,
      years: { type: "string" },
    },
  });
  const [cmd, ...args] = positionals;
  if (values.help || !cmd) {
    io.out(NAME_USAGE);
    if (!values.help) throw new ClientError("BAD_ARGUMENT", "give a command (session name --help)");
    return;
  }
  if (!(COMMANDS as readonly string[]).includes(cmd))
    throw new ClientError("BAD_ARGUMENT", `unknown command "name ${cmd}" (session name --help)`);
  const env = io.env;
  const rawName = args[0];
  if (!rawName) throw new ClientError("BAD_ARGUMENT", `session name ${cmd} needs a name`);
  const name = checkName(rawName); // before any connection: a bad name fails at once
  const years = values.years === undefined ? 1 : Number(values.years);
  if (!Number.isInteger(years) || years < 1 || years > 10)
    throw new ClientError(
      "BAD_ARGUMENT",
      `--years must be a whole number from 1 to 10, not "${values.years}"`,
    );
  const dataDir = dataDirOf(values["data-dir"], env);
  const ownId = (given: string | undefined) => given ?? loadIdentity(dataDir).sessionId;
  const seed = values.network ?? env.SESSION_NETWORK;

  const rpcUrl = values.rpc ?? env.SESSION_RPC_URL;
  if (cmd === "show" && !rpcUrl) {
    if (!seed)
      throw new ClientError(
        "BAD_ARGUMENT",
        "show needs the chain (--rpc or SESSION_RPC_URL) or the network (--network or SESSION_NETWORK)",
      );
    io.out(`${"network".padEnd(11)}${await networkAnswer(seed, name)}`);
    return;
  }
  if (!rpcUrl)
    throw new ClientError("BAD_ARGUMENT", "set SESSION_RPC_URL (or --rpc) to the chain's JSON-RPC URL");
  const { chainId, address } = nameService(values.deployment ?? env.SESSION_DEPLOYMENT_FILE, env);
  const needsWallet = cmd !== "show" && cmd !== "price";
  const key = needsWallet
    ? chain.loadPrivateKey({
        keyVar: "SESSION_WALLET_KEY",
        fileVar: "SESSION_WALLET_KEY_FILE",
        file: values["key-file"],
        env,
      })
    : undefined;
  // Session IDs are checked before connecting too.
  const target = cmd === "register" || cmd === "set" ? checkSessionId(ownId(args[1])) : undefined;
  if (cmd === "transfer" && args[1] && !isAddress(args[1]))
    throw new ClientError("BAD_ARGUMENT", `"${args[1]}" is not an address (0x + 40 hex digits)`);
  const provider: JsonRpcProvider = await chain.connectChain(rpcUrl, chainId);
  try {
    const signer = key ? chain.walletFor(key, provider) : undefined;
    const names = new NameRegistry({ address, provider, signer, progress: io.progress });
    if (signer) io.progress(`wallet ${signer.address} on chain ${chainId}, name service ${address}`);
    switch (cmd) {
      case "register": {
        // A registration committed by an interrupted run is picked up from the data dir.
        const pendingFile = join(dataDir, "names-pending.json");
        const all = readPending(pendingFile);
        const r = await names.register(name, target!, {
          years,
          resume: all[name],
          onPending: (p) => writePending(pendingFile, { ...readPending(pendingFile), [name]: p }),
        });
        const { [name]: _done, ...rest } = readPending(pendingFile);
        writePending(pendingFile, rest);
        io.out(`registered "${r.name}" → ${target} until ${iso(r.expiry)} (paid ${formatSesh(r.cost)})`);
        return;
      }
      case "renew": {
        const r = await names.renew(name, { years });
        io.out(`renewed "${name}" until ${iso(r.expiry)} (paid ${formatSesh(r.cost)})`);
        return;
      }
      case "set": {
        await names.setRecord(name, target!);
        io.out(`"${name}" → ${target}`);
        return;
      }
      case "transfer": {
        const to = args[1];
        if (!to) throw new ClientError("BAD_ARGUMENT", "session name transfer needs the new owner's address");
        await names.transfer(name, to);
        io.out(`"${name}" now belongs to ${to}`);
        return;
      }
      case "price": {
        io.out(
          `"${name}" for ${years} year${years === 1 ? "" : "s"}: ${formatSesh(await names.price(name, years))}`,
        );
        return;
      }
      case "show": {
        const info = await names.lookup(name);
        if (!info) throw new ClientError("NAME_NOT_FOUND", `"${name}" is not registered`);
        for (const line of describe(info)) io.out(line);
        if (seed) io.out(`${"network".padEnd(11)}${await networkAnswer(seed, name)}`);
        return;
      }
    }
  } finally {
    provider.destroy();
  }
}

function readPending(path: string): Record<string, PendingRegistration> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, PendingRegistration>;
  } catch {
    return {}; // unreadable: commit afresh
  }
}

function writePending(path: string, all: Record<string, PendingRegistration>): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
}

/** The name service's chain and address from a deployment file or the environment. */
function nameService(deploymentPath: string | undefined, env: NodeJS.ProcessEnv) {
  if (deploymentPath) {
    const d = chain.readDeploymentFile(deploymentPath);
    if (!d.sessionNameService)
      throw new ClientError("BAD_ARGUMENT", `${deploymentPath} names no sessionNameService`);
    return { chainId: d.chainId, address: d.sessionNameService };
  }
  const chainId = Number(env.SESSION_CHAIN_ID);
  if (!Number.isSafeInteger(chainId) || chainId <= 0 || !env.SESSION_NAME_SERVICE_ADDRESS)
    throw new ClientError(
      "BAD_ARGUMENT",
      "set SESSION_DEPLOYMENT_FILE (or --deployment), or SESSION_CHAIN_ID and SESSION_NAME_SERVICE_ADDRESS",
    );
  return {
    chainId,
    address: chain.parseAddress("SESSION_NAME_SERVICE_ADDRESS", env.SESSION_NAME_SERVICE_ADDRESS),
  };
}

function describe(info: NameInfo): string[] {
  const row = (k: string, v: string) => `${k.padEnd(11)}${v}`;
  const lines = [row("name", info.name), row("owner", info.owner)];
  const days = (s: number) => `${Math.abs(Math.round(s / 86400))} days`;
  if (info.state === "active")
    lines.push(row("expires", `${iso(info.expiry)} (in ${days(info.expiry - info.now)})`));
  else if (info.state === "grace")
    lines.push(
      row("expired", `${iso(info.expiry)}; only the owner can renew it until ${iso(info.graceEnds)}`),
    );
  else lines.push(row("expired", `${iso(info.expiry)}; past its grace period, anyone may register it`));
  if (info.declaredLength !== info.name.length)
    lines.push(
      row(
        "warning",
        `registered with length ${info.declaredLength}, not ${info.name.length}: clients ignore it and anyone can challenge it`,
      ),
    );
  lines.push(
    row(
      "session id",
      info.sessionId ??
        (info.state === "active" ? "(the record does not decrypt with this name)" : "(none while expired)"),
    ),
  );
  return lines;
}

/** What the network answers for `name`: ons_resolve on 3 nodes through onion paths, a throwaway identity. */
async function networkAnswer(seed: string, name: string): Promise<string> {
  // Loaded only here: the chain commands need none of the messaging client.
  const { SessionClient } = await import("./client.ts");
  const client = new SessionClient({ identity: createIdentity(), seeds: [seed] });
  try {
    await client.connect();
    return `${await client.resolveNameOnion(name)} (ons_resolve through onion paths)`;
  } catch (e) {
    if (e instanceof ClientError && e.code === "NAME_NOT_FOUND") return `not found (${e.message})`;
    throw e;
  } finally {
    await client.close();
  }
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");
