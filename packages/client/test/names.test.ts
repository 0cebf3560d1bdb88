import { seshAbi, sessionNameServiceAbi } from "@session/contracts";
import { decryptOnsResponse, encryptNameRecord, fromHex, nameHashBase64, nameHashHex } from "@session/crypto";
import { Contract, hexlify, JsonRpcProvider, randomBytes, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { createIdentity, SessionClient } from "../src/index.ts";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("client-names", { nodes: 6, fileServer: false, pushServer: false });

// Hardhat's first development account (public test key) owns the SESH supply on the devnet.
const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

async function register(name: string, sessionId: string, declaredLength = name.length) {
  const provider = new JsonRpcProvider(net.devnet.chainUrl, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  const wallet = new Wallet(DEV_KEY, provider);
  const sesh = new Contract(net.devnet.deployment.sesh, seshAbi as never, wallet);
  const sns = new Contract(net.devnet.deployment.sessionNameService, sessionNameServiceAbi as never, wallet);
  await (await sesh.getFunction("approve")(net.devnet.deployment.sessionNameService, 10n ** 18n)).wait();
  const record = hexlify(encryptNameRecord(name, sessionId));
  const secret = hexlify(randomBytes(32));
  const c = await sns.getFunction("makeCommitment")(
    nameHashHex(name),
    declaredLength,
    wallet.address,
    record,
    secret,
  );
  await (await sns.getFunction("commit")(c)).wait();
  await provider.send("evm_increaseTime", [61]);
  await (await sns.getFunction("register")(nameHashHex(name), declaredLength, record, 1n, secret)).wait();
  provider.destroy();
}

describe("sending to a name", () => {
  it("resolves through onion paths (ons_resolve on 3 nodes), decrypts with the name, and the message arrives", async () => {
    const bob = createIdentity();
    await register("bob-the-builder", bob.sessionId);
    const alice = new SessionClient({ identity: createIdentity(), seeds: [net.devnet.seed] });
    await alice.connect();
    const viaOnion = alice.transport.stats.requests;
    await expect
      .poll(() => alice.resolveNameOnion("Bob-The-Builder").catch(() => ""), { timeout: 10_000 })
      .toBe(bob.sessionId);
    expect(alice.transport.stats.requests).toBeGreaterThanOrEqual(viaOnion + 3);
    await alice.sendText("bob-the-builder", "found you by name");
    const bobClient = new SessionClient({ identity: bob, seeds: [net.devnet.seed] });
    await bobClient.connect();
    await expect
      .poll(async () => (await bobClient.poll()).map((m) => m.text), { timeout: 10_000 })
      .toContain("found you by name");
  }, 60_000);

  it("a node answers oxend_request ons_resolve like oxend: {encrypted_value, nonce} that libsession's scheme decrypts", async () => {
    const carol = createIdentity();
    await register("carol", carol.sessionId);
    const ask = async (name: string) => {
      const res = await net.devnet.nodeFetch(`${net.devnet.seedUrl}/storage_rpc/v1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          method: "oxend_request",
          params: { endpoint: "ons_resolve", params: { type: 0, name_hash: nameHashBase64(name) } },
        }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { result: { encrypted_value?: string; nonce?: string } }).result;
    };
    await expect
      .poll(async () => (await ask("Carol")).encrypted_value !== undefined, { timeout: 10_000 })
      .toBe(true);
    const answer = await ask("carol");
    expect(decryptOnsResponse("carol", fromHex(answer.encrypted_value!), fromHex(answer.nonce!))).toBe(
      carol.sessionId,
    );
    expect(await ask("nobody-at-all")).toEqual({});
  }, 60_000);

  it("unknown and invalid names are refused; a lying registration disappears once challenged", async () => {
    const alice = new SessionClient({ identity: createIdentity(), seeds: [net.devnet.seed] });
    await alice.connect();
    await expect(alice.resolveNameOnion("nobody-here")).rejects.toMatchObject({ code: "NAME_NOT_FOUND" });
    await expect(alice.resolveNameOnion("-bad-")).rejects.toMatchObject({ code: "NAME_NOT_FOUND" });
    const victim = createIdentity();
    // "liar" declared as 9 characters (the cheaper price band): nodes only see the hash, so the
    // length challenge is what keeps it honest.
    await register("liar", victim.sessionId, 9);
    await expect
      .poll(() => alice.resolveNameOnion("liar").catch(() => ""), { timeout: 10_000 })
      .toBe(victim.sessionId);
    const provider = new JsonRpcProvider(net.devnet.chainUrl, undefined, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
    const sns = new Contract(
      net.devnet.deployment.sessionNameService,
      sessionNameServiceAbi as never,
      new Wallet(DEV_KEY, provider),
    );
    await (await sns.getFunction("challengeLength")("liar")).wait();
    provider.destroy();
    await expect
      .poll(() => alice.resolveNameOnion("liar").catch((e: { code?: string }) => e.code), { timeout: 10_000 })
      .toBe("NAME_NOT_FOUND");
  }, 60_000);
});
