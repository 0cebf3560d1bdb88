import { expect } from "chai";
import {
  deployAll,
  EXIT_DELAY,
  ethers,
  key,
  networkHelpers,
  PENALTY_BPS,
  proof,
  RATE,
  REQUIREMENT,
} from "./fixtures.ts";

const IP = 0x7f000001;
const PORT = 22021;
const Status = { None: 0n, Awaiting: 1n, Active: 2n, Exiting: 3n, Exited: 4n, Removed: 5n };

type Fixture = Awaited<ReturnType<typeof deployAll>>;

interface Registration {
  /** X25519 key; default key(100 + n). */
  x25519?: string;
  ip?: number;
  port?: number;
  fee?: number;
  /** The operator's stake; default the full requirement. */
  stake?: bigint;
}

/** `operator` registers node `n` (Ed25519 key(n)), with node n's own signed key proof for the endpoint. */
async function registerNode(
  registry: Fixture["registry"],
  operator: Fixture["op"],
  n: number,
  { x25519 = key(100 + n), ip = IP, port = PORT, fee = 0, stake = REQUIREMENT }: Registration = {},
) {
  const keyProof = await proof(registry, operator, n, x25519, ip, port);
  return registry.connect(operator).registerNode(key(n), x25519, ip, port, fee, stake, keyProof);
}

async function withActiveNode() {
  const f = await deployAll();
  await registerNode(f.registry, f.op, 1, { fee: 1000 });
  return f;
}

describe("ServiceNodeRegistry", () => {
  describe("initialize", () => {
    it("sets parameters and roles, and cannot run twice", async () => {
      const { registry, admin, sesh } = await networkHelpers.loadFixture(deployAll);
      expect(await registry.stakingRequirement()).to.equal(REQUIREMENT);
      expect(await registry.exitDelay()).to.equal(EXIT_DELAY);
      expect(await registry.liquidationPenaltyBps()).to.equal(PENALTY_BPS);
      expect(await registry.rewardRate()).to.equal(RATE);
      expect(await registry.token()).to.equal(await sesh.getAddress());
      expect(await registry.hasRole(await registry.LIQUIDATOR_ROLE(), admin.address)).to.equal(true);
      await expect(
        registry.initialize(admin.address, await sesh.getAddress(), 1n, 1n, 1n, 1n),
      ).to.be.revertedWithCustomError(registry, "InvalidInitialization");
    });
    it("rejects zero addresses and bad parameters", async () => {
      const { sesh, admin } = await networkHelpers.loadFixture(deployAll);
      const impl = await ethers.deployContract("ServiceNodeRegistry");
      const proxyF = await ethers.getContractFactory("ERC1967Proxy");
      const enc = (args: unknown[]) => impl.interface.encodeFunctionData("initialize", args);
      const token = await sesh.getAddress();
      await expect(
        proxyF.deploy(await impl.getAddress(), enc([ethers.ZeroAddress, token, 1n, 1n, 1n, 1n])),
      ).to.be.revertedWithCustomError(impl, "ZeroAddress");
      await expect(
        proxyF.deploy(await impl.getAddress(), enc([admin.address, token, 0n, 1n, 1n, 1n])),
      ).to.be.revertedWithCustomError(impl, "InvalidParameter");
      await expect(
        proxyF.deploy(await impl.getAddress(), enc([admin.address, token, 1n, 1n, 10_001n, 1n])),
      ).to.be.revertedWithCustomError(impl, "InvalidParameter");
      await expect(impl.initialize(admin.address, token, 1n, 1n, 1n, 1n)).to.be.revertedWithCustomError(
        impl,
        "InvalidInitialization",
      );
    });
  });

  describe("registerNode", () => {
    it("a fully staked operator is active at once, with events the indexer needs", async () => {
      const { registry, op, sesh } = await networkHelpers.loadFixture(deployAll);
      const tx = registerNode(registry, op, 1, { fee: 500 });
      await expect(tx)
        .to.emit(registry, "NodeRegistered")
        .withArgs(1n, op.address, key(1), key(101), IP, PORT, 500, REQUIREMENT);
      await expect(tx)
        .to.emit(registry, "NodeContribution")
        .withArgs(1n, op.address, REQUIREMENT, REQUIREMENT);
      await expect(tx).to.emit(registry, "NodeActivated").withArgs(1n);
      const n = await registry.getNode(1n);
      expect(n.status).to.equal(Status.Active);
      expect(n.contributors).to.deep.equal([op.address]);
      expect(await registry.activeNodeCount()).to.equal(1n);
      expect(await registry.totalStaked()).to.equal(REQUIREMENT);
      expect(await sesh.balanceOf(await registry.getAddress())).to.equal(REQUIREMENT);
      expect(await registry.nodeIdByEd25519(key(1))).to.equal(1n);
    });
    it("rejects bad keys, reused keys, bad endpoints, fees and stakes", async () => {
      const { registry, op } = await networkHelpers.loadFixture(withActiveNode);
      const r = registry.connect(op);
      await expect(
        r.registerNode(ethers.ZeroHash, key(2), IP, PORT, 0, REQUIREMENT, "0x"),
      ).to.be.revertedWithCustomError(registry, "InvalidKey");
      await expect(
        r.registerNode(key(2), ethers.ZeroHash, IP, PORT, 0, REQUIREMENT, "0x"),
      ).to.be.revertedWithCustomError(registry, "InvalidKey");
      await expect(registerNode(registry, op, 1, { x25519: key(2) }))
        .to.be.revertedWithCustomError(registry, "KeyInUse")
        .withArgs(1n);
      await expect(registerNode(registry, op, 2, { x25519: key(3), ip: 0 })).to.be.revertedWithCustomError(
        registry,
        "InvalidEndpoint",
      );
      await expect(registerNode(registry, op, 2, { x25519: key(3), port: 0 })).to.be.revertedWithCustomError(
        registry,
        "InvalidEndpoint",
      );
      await expect(
        registerNode(registry, op, 2, { x25519: key(3), fee: 10_001 }),
      ).to.be.revertedWithCustomError(registry, "FeeTooHigh");
      await expect(registerNode(registry, op, 2, { x25519: key(3), stake: REQUIREMENT / 4n - 1n }))
        .to.be.revertedWithCustomError(registry, "OperatorStakeTooLow")
        .withArgs(REQUIREMENT / 4n);
      await expect(
        registerNode(registry, op, 2, { x25519: key(3), stake: REQUIREMENT + 1n }),
      ).to.be.revertedWithCustomError(registry, "StakeTooHigh");
    });
  });

  describe("node key proof (squatting)", () => {
    it("a key cannot be registered without its holder's signature for this operator, chain, registry and endpoint", async () => {
      const { registry, op, other } = await networkHelpers.loadFixture(deployAll);
      const honest = await proof(registry, op, 7, key(107), IP, PORT);
      // The attacker has seen the honest operator's signed transaction: replaying its proof from
      // another account, or for another endpoint or X25519 key, fails.
      await expect(
        registry.connect(other).registerNode(key(7), key(107), IP, PORT, 0, REQUIREMENT, honest),
      ).to.be.revertedWithCustomError(registry, "InvalidKeyProof");
      await expect(
        registry.connect(op).registerNode(key(7), key(107), IP + 1, PORT, 0, REQUIREMENT, honest),
      ).to.be.revertedWithCustomError(registry, "InvalidKeyProof");
      await expect(
        registry.connect(op).registerNode(key(7), key(108), IP, PORT, 0, REQUIREMENT, honest),
      ).to.be.revertedWithCustomError(registry, "InvalidKeyProof");
      // A proof signed by the attacker's own key does not cover the victim's key.
      const forged = await proof(registry, other, 8, key(107), IP, PORT);
      await expect(
        registry.connect(other).registerNode(key(7), key(107), IP, PORT, 0, REQUIREMENT, forged),
      ).to.be.revertedWithCustomError(registry, "InvalidKeyProof");
      await expect(
        registry.connect(other).registerNode(key(7), key(107), IP, PORT, 0, REQUIREMENT, "0x"),
      ).to.be.revertedWithCustomError(registry, "InvalidKeyProof");
      // The key stays free: its holder registers it.
      expect(await registry.nodeIdByEd25519(key(7))).to.equal(0n);
      await expect(registry.connect(op).registerNode(key(7), key(107), IP, PORT, 0, REQUIREMENT, honest))
        .to.emit(registry, "NodeKeyProof")
        .withArgs(1n, honest);
    });
    it("a proof for another deployment of the registry does not verify here", async () => {
      const a = await networkHelpers.loadFixture(deployAll);
      const b = await deployAll();
      const forA = await proof(a.registry, a.op, 9, key(109), IP, PORT);
      await expect(
        b.registry.connect(b.op).registerNode(key(9), key(109), IP, PORT, 0, REQUIREMENT, forA),
      ).to.be.revertedWithCustomError(b.registry, "InvalidKeyProof");
    });
    it("registrationMessage matches the SDK's encoding", async () => {
      const { registry, op } = await networkHelpers.loadFixture(deployAll);
      const { nodeRegistrationMessage, fromHex, toHex } = await import("@session/crypto");
      const { chainId } = await ethers.provider.getNetwork();
      const onChain = await registry.registrationMessage(op.address, key(3), key(103), IP, PORT);
      const local = nodeRegistrationMessage({
        chainId,
        registry: await registry.getAddress(),
        operator: op.address,
        ed25519: fromHex(key(3).slice(2)),
        x25519: fromHex(key(103).slice(2)),
        ip: IP,
        port: PORT,
      });
      expect(onChain).to.equal(`0x${toHex(local)}`);
    });
  });

  describe("contributions", () => {
    it("up to 10 contributors fill a node, which then activates", async () => {
      const { registry, op, rest, c1 } = await networkHelpers.loadFixture(deployAll);
      const opStake = REQUIREMENT / 4n;
      await registerNode(registry, op, 1, { fee: 1000, stake: opStake });
      expect((await registry.getNode(1n)).status).to.equal(Status.Awaiting);
      const share = (REQUIREMENT - opStake) / 9n;
      const contributors = [c1, ...rest.slice(0, 8)];
      for (const [i, c] of contributors.entries()) {
        const amount = i === 8 ? REQUIREMENT - opStake - share * 8n : share;
        const tx = registry.connect(c!).contribute(1n, amount);
        if (i < 8) await expect(tx).to.emit(registry, "NodeContribution");
        else await expect(tx).to.emit(registry, "NodeActivated").withArgs(1n);
      }
      const n = await registry.getNode(1n);
      expect(n.status).to.equal(Status.Active);
      expect(n.contributors.length).to.equal(10);
      expect(n.totalStaked).to.equal(REQUIREMENT);
    });
    it("an 11th contributor, overfilling, zero, unknown and full nodes are rejected", async () => {
      const { registry, op, rest, c1, c2 } = await networkHelpers.loadFixture(deployAll);
      await registerNode(registry, op, 1, { stake: REQUIREMENT / 4n });
      await expect(registry.connect(c1).contribute(1n, 0n)).to.be.revertedWithCustomError(
        registry,
        "ZeroAmount",
      );
      await expect(registry.connect(c1).contribute(1n, REQUIREMENT)).to.be.revertedWithCustomError(
        registry,
        "StakeTooHigh",
      );
      await expect(registry.connect(c1).contribute(9n, 1n))
        .to.be.revertedWithCustomError(registry, "UnknownNode")
        .withArgs(9n);
      for (const c of [c1, c2, ...rest.slice(0, 7)]) await registry.connect(c!).contribute(1n, 1n);
      await expect(registry.connect(rest[7]!).contribute(1n, 1n)).to.be.revertedWithCustomError(
        registry,
        "TooManyContributors",
      );
      // An existing contributor may add more without a new slot; filling it activates.
      const remaining = REQUIREMENT - (await registry.getNode(1n)).totalStaked;
      await expect(registry.connect(c1).contribute(1n, remaining)).to.emit(registry, "NodeActivated");
      await expect(registry.connect(c1).contribute(1n, 1n)).to.be.revertedWithCustomError(
        registry,
        "WrongStatus",
      );
      expect(await registry.stakeOf(1n, c1.address)).to.equal(remaining + 1n);
    });
  });

  describe("endpoint", () => {
    it("the operator updates it; others and bad values are rejected", async () => {
      const { registry, op, other } = await networkHelpers.loadFixture(withActiveNode);
      await expect(
        registry
          .connect(op)
          .updateEndpoint(1n, IP + 1, 443, await proof(registry, op, 2, key(101), IP + 1, 443)),
      ).to.be.revertedWithCustomError(registry, "InvalidKeyProof");
      await expect(
        registry
          .connect(op)
          .updateEndpoint(1n, IP + 1, 443, await proof(registry, op, 1, key(101), IP + 1, 443)),
      )
        .to.emit(registry, "NodeEndpointUpdated")
        .withArgs(1n, IP + 1, 443);
      await expect(
        registry
          .connect(other)
          .updateEndpoint(1n, IP, PORT, await proof(registry, other, 1, key(101), IP, PORT)),
      ).to.be.revertedWithCustomError(registry, "NotOperator");
      await expect(
        registry.connect(op).updateEndpoint(1n, 0, PORT, await proof(registry, op, 1, key(101), 0, PORT)),
      ).to.be.revertedWithCustomError(registry, "InvalidEndpoint");
      await registry.connect(op).requestExit(1n);
      await expect(
        registry.connect(op).updateEndpoint(1n, IP, PORT, await proof(registry, op, 1, key(101), IP, PORT)),
      ).to.be.revertedWithCustomError(registry, "WrongStatus");
    });
  });

  describe("exits", () => {
    it("an active node unlocks after the delay; anyone can finalise", async () => {
      const { registry, op, other, sesh } = await networkHelpers.loadFixture(withActiveNode);
      const before = await sesh.balanceOf(op.address);
      await expect(registry.connect(other).requestExit(1n)).to.be.revertedWithCustomError(
        registry,
        "NotOperator",
      );
      await expect(registry.connect(op).requestExit(1n)).to.emit(registry, "NodeExitRequested");
      expect(await registry.activeNodeCount()).to.equal(0n);
      await expect(registry.connect(op).requestExit(1n)).to.be.revertedWithCustomError(
        registry,
        "WrongStatus",
      );
      await expect(registry.finalizeExit(1n)).to.be.revertedWithCustomError(registry, "StillLocked");
      await networkHelpers.time.increase(EXIT_DELAY);
      await expect(registry.connect(other).finalizeExit(1n))
        .to.emit(registry, "NodeExited")
        .withArgs(1n)
        .and.to.emit(registry, "StakeReturned")
        .withArgs(1n, op.address, REQUIREMENT);
      expect(await sesh.balanceOf(op.address)).to.equal(before + REQUIREMENT);
      expect(await registry.totalStaked()).to.equal(0n);
      await expect(registry.finalizeExit(1n)).to.be.revertedWithCustomError(registry, "WrongStatus");
      // The key is free again.
      await registerNode(registry, op, 1);
    });
    it("a node never activated refunds everyone at once", async () => {
      const { registry, op, c1, sesh } = await networkHelpers.loadFixture(deployAll);
      await registerNode(registry, op, 1, { stake: REQUIREMENT / 2n });
      await registry.connect(c1).contribute(1n, 5n);
      const c1Before = await sesh.balanceOf(c1.address);
      await expect(registry.connect(op).requestExit(1n)).to.emit(registry, "NodeExited").withArgs(1n);
      expect(await sesh.balanceOf(c1.address)).to.equal(c1Before + 5n);
      expect(await registry.totalStaked()).to.equal(0n);
    });
  });

  describe("liquidation", () => {
    it("the liquidator removes a node with a penalty into the reward pool", async () => {
      const { registry, op, admin, sesh } = await networkHelpers.loadFixture(withActiveNode);
      const poolBefore = await registry.rewardPool();
      const before = await sesh.balanceOf(op.address);
      const penalty = (REQUIREMENT * PENALTY_BPS) / 10_000n;
      await expect(registry.connect(admin).liquidate(1n, "offline"))
        .to.emit(registry, "NodeLiquidated")
        .withArgs(1n, admin.address, penalty, "offline");
      expect(await sesh.balanceOf(op.address)).to.equal(before + REQUIREMENT - penalty);
      expect(await registry.rewardPool()).to.equal(poolBefore + penalty);
      expect((await registry.getNode(1n)).status).to.equal(Status.Removed);
      await expect(registry.connect(admin).liquidate(1n, "again")).to.be.revertedWithCustomError(
        registry,
        "WrongStatus",
      );
    });
    it("works on awaiting and exiting nodes; others cannot liquidate", async () => {
      const { registry, op, admin, other } = await networkHelpers.loadFixture(withActiveNode);
      await expect(registry.connect(other).liquidate(1n, "x")).to.be.revertedWithCustomError(
        registry,
        "AccessControlUnauthorizedAccount",
      );
      await registry.connect(op).requestExit(1n);
      await registry.connect(admin).liquidate(1n, "exiting");
      await registerNode(registry, op, 2, { stake: REQUIREMENT / 2n });
      await registry.connect(admin).liquidate(2n, "awaiting");
      expect((await registry.getNode(2n)).status).to.equal(Status.Removed);
    });
  });

  describe("rewards", () => {
    it("accrue per active node, split fee and pro rata, and never exceed the pool", async () => {
      const { registry, sesh, op, c1, admin } = await networkHelpers.loadFixture(deployAll);
      await registry.connect(admin).fundRewards(1000n * RATE);
      await registerNode(registry, op, 1, { fee: 1000, stake: REQUIREMENT / 2n });
      await registry.connect(c1).contribute(1n, REQUIREMENT / 2n);
      // The claim lands exactly 100 s of chain time after activation, however long the test
      // machine takes between transactions: 100 s at RATE with one active node.
      await networkHelpers.time.setNextBlockTimestamp((await networkHelpers.time.latest()) + 100);
      await expect(registry.connect(op).claimRewards([1n])).to.emit(registry, "RewardsClaimed");
      const opGot = (100n * RATE) / 10n + (100n * RATE * 9n) / 10n / 2n;
      expect(await registry.operatorFees(op.address)).to.equal(0n);
      const c1Pending = await registry.pendingRewards(1n, c1.address);
      expect(c1Pending).to.equal((100n * RATE * 9n) / 10n / 2n);
      const c1Before = await sesh.balanceOf(c1.address);
      await registry.connect(c1).claimRewards([1n]);
      expect(await sesh.balanceOf(c1.address)).to.be.greaterThanOrEqual(c1Before + c1Pending);
      await expect(registry.connect(c1).claimRewards([])).to.be.revertedWithCustomError(
        registry,
        "NothingToClaim",
      );
      expect(opGot).to.be.greaterThan(0n);
      // Drain: rewards stop when the pool is empty.
      await networkHelpers.time.increase(10_000);
      await registry.connect(op).claimRewards([1n]);
      await registry.connect(c1).claimRewards([1n]);
      expect(await registry.rewardPool()).to.be.lessThan(RATE);
      const held = await sesh.balanceOf(await registry.getAddress());
      expect(held).to.be.greaterThanOrEqual(await registry.totalStaked());
      expect(held - (await registry.totalStaked())).to.be.lessThan(10n);
    });
    it("are shared equally between active nodes; exiting nodes stop earning", async () => {
      const { registry, op, other, admin } = await networkHelpers.loadFixture(deployAll);
      await registry.connect(admin).fundRewards(10_000n * RATE);
      // Proofs first: signing between the two registrations would give node 1 extra lone seconds.
      const proof1 = await proof(registry, op, 1, key(101), IP, PORT);
      const proof2 = await proof(registry, other, 2, key(102), IP, PORT);
      await registry.connect(op).registerNode(key(1), key(101), IP, PORT, 0, REQUIREMENT, proof1);
      // Chain time, not the wall clock between two transactions: node 2 joins exactly 1 s later.
      await networkHelpers.time.setNextBlockTimestamp((await networkHelpers.time.latest()) + 1);
      await registry.connect(other).registerNode(key(2), key(102), IP, PORT, 0, REQUIREMENT, proof2);
      await networkHelpers.time.increase(100);
      const p1 = await registry.pendingRewards(1n, op.address);
      const p2 = await registry.pendingRewards(2n, other.address);
      expect(p1 - p2).to.be.lessThanOrEqual(RATE); // node 1 had one lone second
      await registry.connect(op).requestExit(1n);
      const frozen = await registry.pendingRewards(1n, op.address);
      await networkHelpers.time.increase(100);
      expect(await registry.pendingRewards(1n, op.address)).to.equal(frozen);
      expect(await registry.pendingRewards(2n, other.address)).to.be.greaterThan(
        p2 + 100n * RATE - RATE * 2n,
      );
    });
    it("fundRewards rejects zero; claims for unknown nodes revert", async () => {
      const { registry, op } = await networkHelpers.loadFixture(withActiveNode);
      await expect(registry.fundRewards(0n)).to.be.revertedWithCustomError(registry, "ZeroAmount");
      await expect(registry.connect(op).claimRewards([7n])).to.be.revertedWithCustomError(
        registry,
        "UnknownNode",
      );
    });
  });

  describe("admin", () => {
    it("updates parameters with events; only the admin may", async () => {
      const { registry, admin, other } = await networkHelpers.loadFixture(deployAll);
      const a = registry.connect(admin);
      const updates: [() => Promise<unknown>, event: string, value: bigint][] = [
        [() => a.setRewardRate(5n), "RewardRateUpdated", 5n],
        [() => a.setStakingRequirement(7n), "StakingRequirementUpdated", 7n],
        [() => a.setExitDelay(9n), "ExitDelayUpdated", 9n],
        [() => a.setLiquidationPenalty(3n), "LiquidationPenaltyUpdated", 3n],
      ];
      for (const [update, event, value] of updates) {
        await expect(update()).to.emit(registry, event).withArgs(value);
      }
      await expect(registry.connect(admin).setStakingRequirement(0n)).to.be.revertedWithCustomError(
        registry,
        "InvalidParameter",
      );
      await expect(registry.connect(admin).setLiquidationPenalty(10_001n)).to.be.revertedWithCustomError(
        registry,
        "InvalidParameter",
      );
      const r = registry.connect(other);
      for (const call of [
        () => r.setRewardRate(1n),
        () => r.setStakingRequirement(1n),
        () => r.setExitDelay(1n),
        () => r.setLiquidationPenalty(1n),
        () => r.pause(),
        () => r.unpause(),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      }
    });
    it("pause blocks registration, contribution and claims; exits stay open", async () => {
      const { registry, admin, op } = await networkHelpers.loadFixture(withActiveNode);
      await registry.connect(admin).pause();
      await expect(registerNode(registry, op, 2)).to.be.revertedWithCustomError(registry, "EnforcedPause");
      await expect(registry.connect(op).contribute(1n, 1n)).to.be.revertedWithCustomError(
        registry,
        "EnforcedPause",
      );
      await expect(registry.connect(op).claimRewards([1n])).to.be.revertedWithCustomError(
        registry,
        "EnforcedPause",
      );
      await expect(
        registry.connect(op).updateEndpoint(1n, IP, PORT, await proof(registry, op, 1, key(101), IP, PORT)),
      ).to.be.revertedWithCustomError(registry, "EnforcedPause");
      await registry.connect(op).requestExit(1n);
      await registry.connect(admin).unpause();
      await registerNode(registry, op, 2);
    });
    it("upgrades (UUPS) keep state; only the admin may upgrade", async () => {
      const { registry, admin, other } = await networkHelpers.loadFixture(withActiveNode);
      const v2 = await ethers.deployContract("ServiceNodeRegistryV2");
      await expect(
        registry.connect(other).upgradeToAndCall(await v2.getAddress(), "0x"),
      ).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      await registry.connect(admin).upgradeToAndCall(await v2.getAddress(), "0x");
      const upgraded = await ethers.getContractAt("ServiceNodeRegistryV2", await registry.getAddress());
      expect(await upgraded.version()).to.equal("2");
      expect((await upgraded.getNode(1n)).status).to.equal(Status.Active);
      expect(await upgraded.totalStaked()).to.equal(REQUIREMENT);
    });
  });
});
