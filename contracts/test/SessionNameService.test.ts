import { blake2b, toHex, utf8Encode } from "@session/crypto";
import { expect } from "chai";
import { deployAll, ethers, networkHelpers, PRICES } from "./fixtures.ts";

const YEAR = 365n * 24n * 3600n;
const GRACE = 90n * 24n * 3600n;
// BLAKE2b-256 of the name: the hash Session clients send in ons_resolve.
const nameHash = (name: string) => `0x${toHex(blake2b(utf8Encode(name), 32))}`;
const RECORD = "0x" + "ab".repeat(73);
const SECRET = ethers.id("secret");

async function commitAndWait(
  sns: Awaited<ReturnType<typeof deployAll>>["sns"],
  signer: Awaited<ReturnType<typeof deployAll>>["op"],
  name: string,
  length = name.length,
  record = RECORD,
) {
  const c = await sns.makeCommitment(nameHash(name), length, signer.address, record, SECRET);
  await expect(sns.connect(signer).commit(c)).to.emit(sns, "NameCommitted").withArgs(c, signer.address);
  await networkHelpers.time.increase(61);
  return c;
}

async function registered() {
  const f = await deployAll();
  await commitAndWait(f.sns, f.op, "alice");
  await f.sns.connect(f.op).register(nameHash("alice"), 5, RECORD, 1, SECRET);
  return f;
}

describe("SessionNameService", () => {
  it("constructor rejects zero addresses and sets prices", async () => {
    const { sesh, treasury, admin, sns } = await networkHelpers.loadFixture(deployAll);
    const f = await ethers.getContractFactory("SessionNameService");
    await expect(
      f.deploy(ethers.ZeroAddress, treasury.address, admin.address, PRICES),
    ).to.be.revertedWithCustomError(f, "ZeroAddress");
    await expect(
      f.deploy(await sesh.getAddress(), ethers.ZeroAddress, admin.address, PRICES),
    ).to.be.revertedWithCustomError(f, "ZeroAddress");
    expect(await sns.prices()).to.deep.equal(PRICES);
    expect(await sns.price(1, 2)).to.equal(PRICES[0] * 2n);
    expect(await sns.price(12, 1)).to.equal(PRICES[4]);
    await expect(sns.price(0, 1)).to.be.revertedWithCustomError(sns, "InvalidLength");
  });

  it("commit–reveal registers the name, charges by length and emits events", async () => {
    const { sns, sesh, op, treasury } = await networkHelpers.loadFixture(deployAll);
    await commitAndWait(sns, op, "bob", 3);
    const before = await sesh.balanceOf(treasury.address);
    await expect(sns.connect(op).register(nameHash("bob"), 3, RECORD, 2, SECRET))
      .to.emit(sns, "NameRegistered")
      .and.to.emit(sns, "RecordUpdated")
      .withArgs(nameHash("bob"), RECORD);
    expect(await sesh.balanceOf(treasury.address)).to.equal(before + PRICES[2] * 2n);
    expect(await sns.ownerOf(BigInt(nameHash("bob")))).to.equal(op.address);
    const r = await sns.resolve(nameHash("bob"));
    expect(r.owner).to.equal(op.address);
    expect(r[2]).to.equal(3n); // `length` is the tuple size on ethers Results
    expect(r.encryptedRecord).to.equal(RECORD);
    expect(await sns.available(nameHash("bob"))).to.equal(false);
  });

  it("rejects unknown, too new and too old commitments, and front-running", async () => {
    const { sns, op, other } = await networkHelpers.loadFixture(deployAll);
    await expect(sns.connect(op).register(nameHash("x"), 1, RECORD, 1, SECRET)).to.be.revertedWithCustomError(
      sns,
      "CommitmentUnknown",
    );
    const c = await sns.makeCommitment(nameHash("carol"), 5, op.address, RECORD, SECRET);
    await sns.connect(op).commit(c);
    await expect(
      sns.connect(op).register(nameHash("carol"), 5, RECORD, 1, SECRET),
    ).to.be.revertedWithCustomError(sns, "CommitmentTooNew");
    // Someone who saw the reveal cannot use it: the commitment binds the owner.
    await networkHelpers.time.increase(61);
    await expect(
      sns.connect(other).register(nameHash("carol"), 5, RECORD, 1, SECRET),
    ).to.be.revertedWithCustomError(sns, "CommitmentUnknown");
    await networkHelpers.time.increase(24 * 3600);
    await expect(
      sns.connect(op).register(nameHash("carol"), 5, RECORD, 1, SECRET),
    ).to.be.revertedWithCustomError(sns, "CommitmentTooOld");
  });

  it("validates length, years and record size; a taken name is unavailable", async () => {
    const { sns, op, other } = await networkHelpers.loadFixture(registered);
    const invalid: [length: number, record: string, years: number, error: string][] = [
      [0, RECORD, 1, "InvalidLength"],
      [64, RECORD, 1, "InvalidLength"],
      [1, RECORD, 0, "InvalidYears"],
      [1, RECORD, 11, "InvalidYears"],
      [1, "0x" + "00".repeat(72), 1, "InvalidRecordSize"],
    ];
    for (const [length, record, years, error] of invalid) {
      await expect(
        sns.connect(op).register(nameHash("a"), length, record, years, SECRET),
      ).to.be.revertedWithCustomError(sns, error);
    }
    await commitAndWait(sns, other, "alice");
    await expect(
      sns.connect(other).register(nameHash("alice"), 5, RECORD, 1, SECRET),
    ).to.be.revertedWithCustomError(sns, "NameUnavailable");
  });

  it("renewal: anyone while live, only the owner in grace, nobody after; expiry then re-registration", async () => {
    const { sns, op, other } = await networkHelpers.loadFixture(registered);
    const h = nameHash("alice");
    const e0 = (await sns.resolve(h)).expiry;
    await expect(sns.connect(other).renew(h, 1))
      .to.emit(sns, "NameRenewed")
      .withArgs(h, e0 + YEAR, PRICES[4]);
    await expect(sns.renew(h, 0)).to.be.revertedWithCustomError(sns, "InvalidYears");
    await expect(sns.renew(nameHash("nobody"), 1)).to.be.revertedWithCustomError(sns, "NameNotRegistered");
    await networkHelpers.time.increaseTo(e0 + YEAR + 10n);
    expect((await sns.resolve(h)).encryptedRecord).to.equal("0x");
    await expect(sns.connect(op).setRecord(h, RECORD)).to.be.revertedWithCustomError(sns, "NameExpired");
    await expect(
      sns.connect(op).transferFrom(op.address, other.address, BigInt(h)),
    ).to.be.revertedWithCustomError(sns, "NameExpired");
    await expect(sns.connect(other).renew(h, 1)).to.be.revertedWithCustomError(sns, "NotNameOwner");
    await sns.connect(op).renew(h, 1);
    expect(await sns.available(h)).to.equal(false);
    const e1 = (await sns.resolve(h)).expiry;
    await networkHelpers.time.increaseTo(e1 + GRACE + 1n);
    await expect(sns.connect(op).renew(h, 1)).to.be.revertedWithCustomError(sns, "PastGracePeriod");
    expect(await sns.available(h)).to.equal(true);
    await commitAndWait(sns, other, "alice");
    await sns.connect(other).register(h, 5, RECORD, 1, SECRET);
    expect(await sns.ownerOf(BigInt(h))).to.equal(other.address);
  });

  it("blake2b256 (BLAKE2 F precompile) matches BLAKE2b-256 for 0 to 128 bytes", async () => {
    const { sns } = await networkHelpers.loadFixture(deployAll);
    for (const len of [0, 1, 5, 63, 64, 127, 128]) {
      const data = ethers.randomBytes(len);
      expect(await sns.blake2b256(data)).to.equal(`0x${toHex(blake2b(data, 32))}`);
    }
    await expect(sns.blake2b256(ethers.randomBytes(129))).to.be.revertedWithCustomError(sns, "InvalidLength");
  });

  it("record updates by the owner only; transfers keep the record", async () => {
    const { sns, op, other } = await networkHelpers.loadFixture(registered);
    const h = nameHash("alice");
    const rec2 = "0x" + "cd".repeat(73);
    await expect(sns.connect(other).setRecord(h, rec2)).to.be.revertedWithCustomError(sns, "NotNameOwner");
    await expect(sns.connect(op).setRecord(h, "0x" + "00".repeat(300))).to.be.revertedWithCustomError(
      sns,
      "InvalidRecordSize",
    );
    await expect(sns.connect(op).setRecord(h, rec2)).to.emit(sns, "RecordUpdated").withArgs(h, rec2);
    await sns.connect(op).transferFrom(op.address, other.address, BigInt(h));
    expect((await sns.resolve(h)).encryptedRecord).to.equal(rec2);
    await sns.connect(other).setRecord(h, RECORD);
    await expect(sns.resolve(nameHash("missing"))).to.be.revertedWithCustomError(sns, "NameNotRegistered");
  });

  it("a mis-declared length can be challenged by revealing the name", async () => {
    const { sns, op, other } = await networkHelpers.loadFixture(deployAll);
    await commitAndWait(sns, op, "ab", 9);
    await sns.connect(op).register(nameHash("ab"), 9, RECORD, 1, SECRET);
    await expect(sns.connect(other).challengeLength("ab"))
      .to.emit(sns, "NameChallenged")
      .withArgs(nameHash("ab"), other.address, 9, 2);
    expect(await sns.available(nameHash("ab"))).to.equal(true);
    await expect(sns.challengeLength("ab")).to.be.revertedWithCustomError(sns, "NameNotRegistered");
    const f2 = await registered();
    await expect(f2.sns.challengeLength("alice")).to.be.revertedWithCustomError(f2.sns, "LengthMatches");
  });

  it("admin: prices, treasury, pause; others rejected", async () => {
    const { sns, admin, other, op } = await networkHelpers.loadFixture(deployAll);
    const p: [bigint, bigint, bigint, bigint, bigint] = [5n, 4n, 3n, 2n, 1n];
    await expect(sns.connect(admin).setPrices(p)).to.emit(sns, "PricesUpdated");
    expect(await sns.prices()).to.deep.equal(p);
    await expect(sns.connect(other).setPrices(p)).to.be.revertedWithCustomError(
      sns,
      "AccessControlUnauthorizedAccount",
    );
    await expect(sns.connect(admin).setTreasury(other.address))
      .to.emit(sns, "TreasuryUpdated")
      .withArgs(other.address);
    await expect(sns.connect(admin).setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(
      sns,
      "ZeroAddress",
    );
    await expect(sns.connect(other).setTreasury(other.address)).to.be.revertedWithCustomError(
      sns,
      "AccessControlUnauthorizedAccount",
    );
    await expect(sns.connect(other).pause()).to.be.revertedWithCustomError(
      sns,
      "AccessControlUnauthorizedAccount",
    );
    await sns.connect(admin).pause();
    await expect(sns.connect(op).commit(ethers.ZeroHash)).to.be.revertedWithCustomError(sns, "EnforcedPause");
    await sns.connect(admin).unpause();
    await sns.connect(op).commit(ethers.ZeroHash);
    expect(await sns.supportsInterface("0x80ac58cd")).to.equal(true);
  });
});
