import { expect } from "chai";
import { signPermit } from "../src/wallet.ts";
import { deployAll, ethers, networkHelpers, SUPPLY } from "./fixtures.ts";

describe("SESH", () => {
  it("mints the whole fixed supply to the treasury, with 9 decimals", async () => {
    const { sesh, treasury } = await networkHelpers.loadFixture(deployAll);
    expect(await sesh.decimals()).to.equal(9n);
    expect(await sesh.totalSupply()).to.equal(SUPPLY);
    expect(await sesh.symbol()).to.equal("SESH");
    // Treasury handed some out in the fixture; supply is unchanged and no mint exists.
    expect(await sesh.balanceOf(treasury.address)).to.be.lessThan(SUPPLY);
    expect((sesh.interface as unknown as { getFunction(n: string): unknown }).getFunction("mint")).to.equal(
      null,
    );
  });

  it("rejects a zero treasury", async () => {
    const f = await ethers.getContractFactory("SESH");
    await expect(f.deploy(ethers.ZeroAddress, 1n)).to.be.revertedWithCustomError(f, "ZeroTreasury");
  });

  it("supports EIP-2612 permit", async () => {
    const { sesh, op, other } = await networkHelpers.loadFixture(deployAll);
    expect(await sesh.name()).to.equal("Session"); // the EIP-712 domain name signPermit signs for
    const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 3600n;
    const { v, r, s } = await signPermit(
      op,
      ethers.provider,
      { token: await sesh.getAddress(), spender: other.address, value: 123n, deadline },
      sesh,
    );
    await sesh.permit(op.address, other.address, 123n, deadline, v, r, s);
    expect(await sesh.allowance(op.address, other.address)).to.equal(123n);
  });
});
