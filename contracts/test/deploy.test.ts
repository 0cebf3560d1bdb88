import { expect } from "chai";
import {
  defaultDeployParams,
  deploySessionContracts,
  serviceNodeRegistryAbi,
  sessionNameServiceAbi,
} from "../src/index.ts";
import { ethers } from "./fixtures.ts";

describe("deploySessionContracts (committed artifacts, no Hardhat compiler)", () => {
  it("deploys a working set: token supply, initialised proxy, name prices", async () => {
    const [admin, treasury] = await ethers.getSigners();
    const params = defaultDeployParams(admin!.address, treasury!.address);
    const d = await deploySessionContracts(admin!, params);
    const sesh = await ethers.getContractAt("SESH", d.sesh);
    expect(await sesh.balanceOf(treasury!.address)).to.equal(params.totalSupply);
    const registry = new ethers.Contract(d.serviceNodeRegistry, serviceNodeRegistryAbi, admin);
    expect(await registry.getFunction("stakingRequirement")()).to.equal(params.stakingRequirement);
    expect(await registry.getFunction("token")()).to.equal(d.sesh);
    const sns = new ethers.Contract(d.sessionNameService, sessionNameServiceAbi, admin);
    expect(await sns.getFunction("price")(3n, 1n)).to.equal(params.namePrices[2]);
    expect(d.chainId).to.equal(31337);
    expect(d.deploymentBlock).to.be.greaterThan(0);
  });
});
