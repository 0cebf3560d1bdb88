import { expect } from "chai";
import {
  defaultDeployParams,
  deployLocal,
  deploySessionContracts,
  serviceNodeRegistryAbi,
  sessionNameServiceAbi,
  sessionTokenAbi,
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

  it("deployLocal and sessionTokenAbi (aliases) deploy and read a second independent set", async () => {
    const [admin, , other] = await ethers.getSigners();
    const params = defaultDeployParams(admin!.address, other!.address);
    const a = await deployLocal(admin!, params);
    const b = await deployLocal(admin!, params);
    expect(a.sesh).to.not.equal(b.sesh);
    const token = new ethers.Contract(b.sesh, sessionTokenAbi, admin);
    expect(await token.getFunction("decimals")()).to.equal(9n);
    expect(await token.getFunction("balanceOf")(other!.address)).to.equal(params.totalSupply);
  });
});
