import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { buildDeploymentFile } from "../src/deployment-file.ts";

describe("deployment file writer", () => {
  const ids = [
    "Session#SESH",
    "Session#ServiceNodeRegistryImplementation",
    "Session#ERC1967Proxy",
    "Session#SessionNameService",
  ];
  function ignitionDir(blocks: number[]) {
    const dir = mkdtempSync(join(tmpdir(), "ignition-"));
    mkdirSync(join(dir, "artifacts"));
    const addresses: Record<string, string> = {};
    const journal: string[] = [];
    ids.forEach((id, i) => {
      addresses[id] = `0x${String(i + 1).repeat(40)}`;
      writeFileSync(
        join(dir, "artifacts", `${id}.json`),
        JSON.stringify({ abi: [{ type: "function", name: `f${i}` }] }),
      );
      journal.push(
        JSON.stringify({
          type: "TRANSACTION_CONFIRM",
          futureId: id,
          hash: "0x",
          receipt: { blockNumber: blocks[i] },
        }),
      );
    });
    writeFileSync(join(dir, "deployed_addresses.json"), JSON.stringify(addresses));
    writeFileSync(join(dir, "journal.jsonl"), `${journal.join("\n")}\n`);
    return dir;
  }

  it("records the network asked for, each contract's deployment block, the earliest as start, and ABI hashes", () => {
    const dir = ignitionDir([101, 102, 104, 105]);
    const f = buildDeploymentFile("arbitrumSepolia", dir, 421614);
    expect(f.network).to.equal("arbitrumSepolia");
    expect(f.chainId).to.equal(421614);
    expect(f.deploymentBlock).to.equal(101);
    expect(f.blocks).to.deep.equal({
      sesh: 101,
      serviceNodeRegistryImplementation: 102,
      serviceNodeRegistry: 104,
      sessionNameService: 105,
    });
    expect(f.serviceNodeRegistry).to.equal(`0x${"3".repeat(40)}`);
    expect(f.abiHashes.sesh).to.equal(
      keccak256(toUtf8Bytes(JSON.stringify([{ type: "function", name: "f0" }]))),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an incomplete deployment", () => {
    const dir = mkdtempSync(join(tmpdir(), "ignition-"));
    expect(() => buildDeploymentFile("x", dir, 1)).to.throw(/no complete Ignition deployment/);
    rmSync(dir, { recursive: true, force: true });
  });
});
