// Upgrade rehearsal: the Session module deployed through the one Ignition path, a node registered,
// the storage layout of the next implementation checked against the deployed one (upgrades-core),
// then the RegistryUpgrade module run on the same deployment: the proxy points at the new code and
// keeps its state, and running it again sends nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ArtifactResolver, deploy } from "@nomicfoundation/ignition-core";
import { generateSeed, keypairFromSeed, signNodeRegistration, toHex } from "@session/crypto";
import { expect } from "chai";
import { Contract } from "ethers";
import hre, { network } from "hardhat";
import { registryUpgradeModule } from "../ignition/modules/RegistryUpgrade.ts";
import { layoutErrors, upgradeSafeLayout } from "../scripts/upgrade-check.ts";
import { committedArtifacts, deployWithIgnition } from "../src/ignition.ts";
import { serviceNodeRegistryAbi, seshAbi } from "../src/index.ts";

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

describe("UUPS upgrade rehearsal (storage layout check → RegistryUpgrade module)", function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), "upgrade-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the next implementation's layout extends the deployed one; a reordered namespace is refused", () => {
    const v1 = upgradeSafeLayout("ServiceNodeRegistry");
    const v2 = upgradeSafeLayout("ServiceNodeRegistryV2");
    expect(layoutErrors(v1, v2)).to.deep.equal([]);
    const ns = "erc7201:session.storage.ServiceNodeRegistry";
    expect(v1.namespaces?.[ns]?.map((i) => i.label)).to.include.members([
      "token",
      "nodes",
      "nodeIdByEd25519",
    ]);
    // The same code with a field inserted at the front of the namespace would shift every slot.
    const shifted = structuredClone(v2);
    const fields = shifted.namespaces![ns]!;
    shifted.namespaces![ns] = [
      { ...fields[0]!, label: "inserted", slot: "0" },
      ...fields.map((f) => ({ ...f, slot: f.slot === undefined ? f.slot : String(Number(f.slot) + 1) })),
    ];
    expect(layoutErrors(v1, shifted)).to.not.deep.equal([]);
  });

  it("upgrades through the proxy, keeps the registry's state, and is idempotent", async () => {
    const conn = await network.create();
    const provider = conn.provider as never;
    const deploymentDir = join(dir, "ignition");
    const file = await deployWithIgnition({ provider, deploymentDir, network: "rehearsal" });
    const [admin, operator] = await conn.ethers.getSigners();
    const requirement = 20_000n * 10n ** 9n;
    const sesh = new Contract(file.sesh, seshAbi as never, admin);
    await (await sesh.getFunction("transfer")(operator!.address, requirement)).wait();
    await (
      await (sesh.connect(operator!) as Contract).getFunction("approve")(
        file.serviceNodeRegistry,
        requirement,
      )
    ).wait();
    const node = keypairFromSeed(generateSeed());
    const fields = {
      chainId: 31337n,
      registry: file.serviceNodeRegistry,
      operator: operator!.address,
      ed25519: node.ed25519.publicKey,
      x25519: node.x25519.publicKey,
      ip: 0xcb007107,
      port: 22021,
    };
    const registry = new Contract(file.serviceNodeRegistry, serviceNodeRegistryAbi as never, operator);
    await (
      await registry.getFunction("registerNode")(
        `0x${toHex(node.ed25519.publicKey)}`,
        `0x${toHex(node.x25519.publicKey)}`,
        fields.ip,
        fields.port,
        500,
        requirement,
        signNodeRegistration(node.ed25519.secretKey, fields),
      )
    ).wait();
    const before = await registry.getFunction("getNode")(1n);
    const slot = () => conn.ethers.provider.getStorage(file.serviceNodeRegistry, IMPLEMENTATION_SLOT);
    expect(await slot()).to.include(file.serviceNodeRegistryImplementation.slice(2).toLowerCase());

    // The Session futures come from the committed artifacts (as deployed), the new code from Hardhat's.
    const artifacts: ArtifactResolver = {
      loadArtifact: (name) =>
        committedArtifacts.loadArtifact(name).catch(() => hre.artifacts.readArtifact(name) as never),
      getBuildInfo: async () => undefined,
    };
    const accounts = (await conn.provider.request({ method: "eth_accounts" })) as string[];
    const upgrade = () =>
      deploy({
        artifactResolver: artifacts,
        provider,
        deploymentDir,
        ignitionModule: registryUpgradeModule("ServiceNodeRegistryV2"),
        deploymentParameters: {},
        accounts,
        defaultSender: accounts[0]!,
      });
    const result = await upgrade();
    expect(result.type).to.equal("SUCCESSFUL_DEPLOYMENT");
    const next = (result as { contracts: Record<string, { address: string }> }).contracts[
      "RegistryUpgrade#NextImplementation"
    ]!.address;
    expect(await slot()).to.include(next.slice(2).toLowerCase());
    const upgraded = new Contract(
      file.serviceNodeRegistry,
      [...serviceNodeRegistryAbi, "function version() pure returns (string)"] as never,
      operator,
    );
    expect(await upgraded.getFunction("version")()).to.equal("2");
    expect(await upgraded.getFunction("getNode")(1n)).to.deep.equal(before);
    expect(await upgraded.getFunction("nodeIdByEd25519")(`0x${toHex(node.ed25519.publicKey)}`)).to.equal(1n);

    const head = await conn.ethers.provider.getBlockNumber();
    expect((await upgrade()).type).to.equal("SUCCESSFUL_DEPLOYMENT");
    expect(await conn.ethers.provider.getBlockNumber()).to.equal(head);

    // Only the admin can upgrade: the operator cannot point the proxy elsewhere.
    let refused = false;
    try {
      await upgraded.getFunction("upgradeToAndCall").staticCall(next, "0x");
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
    await conn.close();
  });
});
