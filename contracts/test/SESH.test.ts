import { expect } from "chai";
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
    const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 3600n;
    const nonce = await sesh.nonces(op.address);
    const { chainId } = await ethers.provider.getNetwork();
    const sig = await op.signTypedData(
      { name: "Session", version: "1", chainId, verifyingContract: await sesh.getAddress() },
      {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      { owner: op.address, spender: other.address, value: 123n, nonce, deadline },
    );
    const { v, r, s } = ethers.Signature.from(sig);
    await sesh.permit(op.address, other.address, 123n, deadline, v, r, s);
    expect(await sesh.allowance(op.address, other.address)).to.equal(123n);
  });
});
