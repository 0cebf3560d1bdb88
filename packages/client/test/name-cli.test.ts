// A user's names on the devnet chain, with the real `session name` CLI: register (commit, chain-time
// wait, reveal), show (chain and the network's ons_resolve through onion paths), set, transfer,
// renew, expiry and re-registration; chain time is moved with evm_increaseTime, never slept.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seshAbi, sessionNameServiceAbi } from "@session/contracts";
import type { ChainCliIo } from "@session/contracts/wallet";
import { nameHashHex } from "@session/crypto";
import { type Devnet, startDevnet } from "@session/devnet";
import { Contract, JsonRpcProvider, parseEther, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIdentity, SessionClient, saveIdentity } from "../src/index.ts";
import { nameCli } from "../src/name-cli.ts";
import { type RunOptions, runSession } from "./session-cli.ts";

// Hardhat's first development account (a public test key) holds the devnet's SESH supply.
const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const DAY = 24 * 3600;

let devnet: Devnet;
let provider: JsonRpcProvider;
let sns: Contract;
/** A Session client that resolves names as real clients do (ons_resolve through onion paths). */
let observer: SessionClient;
const network = () =>
  observer.resolveNameOnion("alice-cli").catch((e: { code?: string }) => e.code ?? String(e));
const chainOnlyEnv = { SESSION_NETWORK: "" };
const dir = mkdtempSync(join(tmpdir(), "name-cli-"));

interface User {
  wallet: Wallet;
  keyFile: string;
  dataDir: string;
  sessionId: string;
}
const users: Record<"alice" | "bob", User> = {} as never;

const envOf = (who: User, extra: Record<string, string> = {}): Record<string, string> => ({
  SESSION_RPC_URL: devnet.chainUrl,
  SESSION_DEPLOYMENT_FILE: devnet.deploymentFile,
  SESSION_WALLET_KEY_FILE: who.keyFile,
  SESSION_WALLET_KEY: "",
  SESSION_DATA_DIR: who.dataDir,
  SESSION_NETWORK: devnet.seed,
  ...extra,
});

/** The real `session name …` process as `who`: their wallet key file and data dir, the devnet's chain and network. */
function name(args: string[], who: User, opts: RunOptions = {}) {
  return runSession(["name", ...args], { ...opts, env: envOf(who, opts.env) });
}

/**
 * The same command run in this process (src/name-cli.ts, as src/name-main.ts runs it, "error: …"
 * and exit code 1 on a throw): for the many argument checks, where a process per case costs minutes
 * on a loaded machine and proves nothing more than the spawned cases do.
 */
async function nameHere(args: string[], who: User, env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const io: ChainCliIo = {
    out: (l) => {
      stdout += `${l}\n`;
    },
    progress: (l) => {
      stderr += `${l}\n`;
    },
    env: envOf(who, env),
  };
  try {
    await nameCli(args, io);
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: 1, stdout, stderr: `${stderr}error: ${e instanceof Error ? e.message : String(e)}\n` };
  }
}

/** Registers through the CLI; once it waits for its commitment to mature, moves chain time on (no mining). */
async function register(args: string[], who: User) {
  let advanced = false;
  const started = Date.now();
  const r = await name(["register", ...args], who, {
    timeoutMs: 90_000,
    onStderr: (err) => {
      if (advanced || !err.includes("step 2/3")) return;
      advanced = true;
      void provider.send("evm_increaseTime", [61]);
    },
  });
  return { ...r, advanced, ms: Date.now() - started };
}

async function chainNow(): Promise<number> {
  return (await provider.getBlock("latest"))!.timestamp;
}

/** Moves chain time on by `seconds` and mines a block, so reads at `latest` see it. */
async function advance(seconds: number) {
  await provider.send("evm_increaseTime", [seconds]);
  await provider.send("evm_mine", []);
}

const expiryOf = async (n: string) => Number((await sns.getFunction("resolve")(nameHashHex(n)))[1]);
const row = (out: string, key: string) => new RegExp(`^${key}\\s+(.+)$`, "m").exec(out)?.[1];

beforeAll(async () => {
  devnet = await startDevnet({
    nodes: 6,
    dataDir: join(dir, "net"),
    fileServer: false,
    pushServer: false,
    communityServer: false,
  });
  provider = new JsonRpcProvider(devnet.chainUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const funder = new Wallet(DEV_KEY, provider);
  const sesh = new Contract(devnet.deployment.sesh, seshAbi as never, funder);
  sns = new Contract(devnet.deployment.sessionNameService, sessionNameServiceAbi as never, provider);
  for (const who of ["alice", "bob"] as const) {
    const wallet = new Wallet(Wallet.createRandom().privateKey, provider);
    const keyFile = join(dir, `${who}.key`);
    writeFileSync(keyFile, `${wallet.privateKey}\n`, { mode: 0o600 });
    const identity = createIdentity();
    const dataDir = join(dir, who);
    saveIdentity(dataDir, identity);
    await (await funder.sendTransaction({ to: wallet.address, value: parseEther("10") })).wait();
    await (await sesh.getFunction("transfer")(wallet.address, 1000n * 10n ** 9n)).wait();
    users[who] = { wallet, keyFile, dataDir, sessionId: identity.sessionId };
  }
  observer = new SessionClient({ identity: createIdentity(), seeds: [devnet.seed] });
  await observer.connect();
}, 120_000);

afterAll(async () => {
  await observer?.close();
  provider?.destroy();
  await devnet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("session name on the devnet chain", () => {
  it("bad input is refused with a clear message before anything is sent", async () => {
    const { alice } = users;
    // Refused from the arguments alone: nothing is sent, not even a connection to the chain. The
    // first cases as real processes (exit code 1, "error: …" on stderr), the rest in this process.
    const local: [string[], RegExp][] = [
      [["register", "bad-"], /"bad-" is not a valid name: name may use a-z, 0-9 and '-'/],
      [
        ["register", "alice-cli", `03${"ab".repeat(32)}`],
        /"03(ab){32}" is not a Session ID \(66 hex digits starting with 05\)/,
      ],
      [["register", "under_score"], /"under_score" is not a valid name/],
      [["register", "-bad"], /Unknown option '-b'/],
      [["register", "x".repeat(64)], /"x{64}" is not a valid name: name must be 1 to 63 characters/],
      [["register", "alice-cli", "not-a-session-id"], /"not-a-session-id" is not a Session ID/],
      [["register", "alice-cli", "--years", "11"], /--years must be a whole number from 1 to 10/],
      [["transfer", "alice-cli", "0x12"], /"0x12" is not an address/],
      [["frobnicate", "x"], /unknown command "name frobnicate"/],
      [["register"], /session name register needs a name/],
    ];
    for (const [i, [args, message]] of local.entries()) {
      const r = i < 2 ? await name(args, alice) : await nameHere(args, alice);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toMatch(new RegExp(`^error: ${message.source}`));
      expect(r.stderr, args.join(" ")).not.toContain("on chain");
    }
    const help = await nameHere([], alice);
    expect(help.code).toBe(1);
    expect(help.stdout).toContain("Usage: session name <command>");
    // Refused after asking the chain, before any transaction.
    for (const cmd of ["show", "set", "renew"]) {
      const r =
        cmd === "show"
          ? await name([cmd, "nobody-here-x"], alice)
          : await nameHere([cmd, "nobody-here-x"], alice);
      expect(r.code, cmd).toBe(1);
      expect(r.stderr, cmd).toMatch(/^error: "nobody-here-x" is not registered$/m);
      expect(r.stderr, cmd).not.toMatch(/sent 0x/);
    }
    const noKey = await nameHere(["register", "alice-cli"], alice, { SESSION_WALLET_KEY_FILE: "" });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("no wallet key: set SESSION_WALLET_KEY, or SESSION_WALLET_KEY_FILE");
    const poor = Wallet.createRandom();
    const poorKey = join(dir, "poor.key");
    writeFileSync(poorKey, poor.privateKey, { mode: 0o600 });
    const broke = await name(["register", "alice-cli"], alice, { env: { SESSION_WALLET_KEY_FILE: poorKey } });
    expect(broke.code).toBe(1);
    expect(broke.stderr).toMatch(
      /registering "alice-cli" for 1 year costs 10\.0 SESH; the wallet 0x[0-9a-fA-F]{40} holds 0\.0 SESH/,
    );
  }, 240_000);

  it("register, show (chain and ons_resolve), taken, set, transfer, renew, expiry, register again", async () => {
    const { alice, bob } = users;

    // Register for alice's own Session ID: commit, chain-time wait (moved on, not slept), reveal.
    const reg = await register(["alice-cli"], alice);
    expect(reg.stderr).toContain('step 1/3: committing to "alice-cli"');
    expect(reg.stderr).toMatch(/commit: sent 0x[0-9a-f]{64}/);
    expect(reg.stderr).toMatch(
      /step 2\/3: waiting \d+ s of chain time for the commitment to mature \(60 s after it\)/,
    );
    expect(reg.stderr).toMatch(/register: mined in block \d+/);
    expect(reg.stderr).not.toContain(alice.wallet.privateKey.slice(2));
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.advanced).toBe(true);
    // The minute passed in chain time only (without chainTime reading the pending block, nothing
    // would mine and the wait would never end).
    expect(reg.ms).toBeLessThan(60_000);
    expect(reg.stdout).toMatch(
      new RegExp(`^registered "alice-cli" → ${alice.sessionId} until \\d{4}-.+ \\(paid 10\\.0 SESH\\)`),
    );

    // The network resolves it through onion paths (nodes answer ons_resolve from the indexer);
    // `show` prints the chain's owner, expiry and decrypted record, and the network's answer.
    await expect.poll(network, { timeout: 30_000 }).toBe(alice.sessionId);
    const shown = await name(["show", "Alice-CLI"], bob);
    expect(shown.code, shown.stderr).toBe(0);
    expect(row(shown.stdout, "name")).toBe("alice-cli");
    expect(row(shown.stdout, "owner")).toBe(alice.wallet.address);
    expect(row(shown.stdout, "session id")).toBe(alice.sessionId);
    expect(row(shown.stdout, "expires")).toMatch(/^\d{4}-\d\d-\d\dT.+ \(in 365 days\)$/);
    expect(row(shown.stdout, "network")).toBe(`${alice.sessionId} (ons_resolve through onion paths)`);
    const chainOnly = await nameHere(["show", "alice-cli"], bob, { SESSION_NETWORK: "" });
    expect(chainOnly.stdout).not.toContain("network");
    expect(row(chainOnly.stdout, "session id")).toBe(alice.sessionId);

    // Taken: refused before anything is sent.
    const taken = await name(["register", "alice-cli"], bob);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(
      new RegExp(`^error: "alice-cli" is taken \\(owned by ${alice.wallet.address}, until \\d{4}-`, "m"),
    );
    expect(taken.stderr).not.toMatch(/sent 0x/);

    // set: the record now points to bob's Session ID, on the chain and on the network.
    const set = await name(["set", "alice-cli", bob.sessionId], alice);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toMatch(/setRecord: mined in block \d+/);
    expect(row((await nameHere(["show", "alice-cli"], alice, chainOnlyEnv)).stdout, "session id")).toBe(
      bob.sessionId,
    );
    await expect.poll(network, { timeout: 30_000 }).toBe(bob.sessionId);

    // transfer: a contract that cannot hold tokens is refused by the chain (custom error decoded),
    // then bob gets it; alice can no longer set it, bob can.
    const toContract = await name(["transfer", "alice-cli", devnet.deployment.sesh], alice);
    expect(toContract.code).toBe(1);
    expect(toContract.stderr).toMatch(
      /^error: transfer: the receiving contract cannot hold names \(ERC721InvalidReceiver\(0x[0-9a-fA-F]{40}\)\)/m,
    );
    const transferred = await name(["transfer", "alice-cli", bob.wallet.address], alice);
    expect(transferred.code, transferred.stderr).toBe(0);
    expect(transferred.stdout).toContain(`"alice-cli" now belongs to ${bob.wallet.address}`);
    expect(row((await nameHere(["show", "alice-cli"], alice, chainOnlyEnv)).stdout, "owner")).toBe(
      bob.wallet.address,
    );
    const notOwner = await nameHere(["set", "alice-cli"], alice);
    expect(notOwner.code).toBe(1);
    expect(notOwner.stderr).toContain(
      `error: "alice-cli" belongs to ${bob.wallet.address}, not to this wallet ${alice.wallet.address}`,
    );
    expect((await nameHere(["set", "alice-cli"], bob)).code).toBe(0); // bob's own Session ID

    // renew: two more years on top of the current expiry.
    const before = await expiryOf("alice-cli");
    const renewed = await name(["renew", "alice-cli", "--years", "2"], bob);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stdout).toMatch(/^renewed "alice-cli" until \d{4}-.+ \(paid 20\.0 SESH\)/);
    const after = await expiryOf("alice-cli");
    expect(after - before).toBe(2 * 365 * DAY);

    // Expired (chain time moved past the expiry): no Session ID on chain or network; only the
    // owner may renew during the grace period; nobody may set it.
    await advance(after - (await chainNow()) + DAY);
    const expired = await name(["show", "alice-cli"], bob, { env: chainOnlyEnv });
    expect(row(expired.stdout, "expired")).toMatch(/; only the owner can renew it until \d{4}-/);
    expect(row(expired.stdout, "session id")).toBe("(none while expired)");
    await expect.poll(network, { timeout: 30_000 }).toBe("NAME_NOT_FOUND");
    const setExpired = await nameHere(["set", "alice-cli"], bob);
    expect(setExpired.code).toBe(1);
    expect(setExpired.stderr).toMatch(/^error: "alice-cli" expired on \d{4}-.+: renew it before \d{4}-/m);
    const othersRenew = await nameHere(["renew", "alice-cli"], alice);
    expect(othersRenew.code).toBe(1);
    expect(othersRenew.stderr).toContain(`only its owner ${bob.wallet.address} can renew it`);

    // Past the grace period anyone may register it again: alice does.
    await advance(91 * DAY);
    expect(row((await nameHere(["show", "alice-cli"], bob, chainOnlyEnv)).stdout, "expired")).toMatch(
      /past its grace period, anyone may register it/,
    );
    const again = await register(["alice-cli", alice.sessionId], alice);
    expect(again.code, again.stderr).toBe(0);
    const mine = await nameHere(["show", "alice-cli"], alice, chainOnlyEnv);
    expect(row(mine.stdout, "owner")).toBe(alice.wallet.address);
    expect(row(mine.stdout, "session id")).toBe(alice.sessionId);
    await expect.poll(network, { timeout: 30_000 }).toBe(alice.sessionId);
  }, 480_000);

  it("a register interrupted while its commitment matures resumes it: no second commit", async () => {
    const { bob } = users;
    const first = await name(["register", "resume-me"], bob, {
      timeoutMs: 90_000,
      killWhen: (err) => err.includes("step 2/3"),
    });
    expect(first.code).not.toBe(0);
    expect(first.stderr).toMatch(/commit: mined in block \d+/);
    expect(first.stderr).not.toContain("step 3/3");
    const again = await register(["resume-me"], bob);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/step 1\/3: reusing the commitment to "resume-me" made at \d{4}-/);
    expect(again.stderr).not.toContain("commit: sent");
    expect(again.stdout).toContain(`registered "resume-me" → ${bob.sessionId}`);
    // Done: nothing is left to resume.
    expect(JSON.parse(readFileSync(join(bob.dataDir, "names-pending.json"), "utf8"))).toEqual({});
  }, 240_000);
});
