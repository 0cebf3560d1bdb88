// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SESH} from "../../contracts/SESH.sol";
import {ServiceNodeRegistry} from "../../contracts/ServiceNodeRegistry.sol";
import {ServiceNodeRegistryUnproven} from "../../contracts/test/ServiceNodeRegistryUnproven.sol";
import {TestBase} from "./Vm.sol";

/// Drives the registry through random sequences of actions and keeps ghost totals.
contract StakingHandler is TestBase {
    SESH public immutable sesh;
    ServiceNodeRegistry public immutable registry;
    uint256 public constant REQ = 1_000e9;
    address[4] internal people = [address(0xA1), address(0xA2), address(0xA3), address(0xA4)];

    uint256 public ghostStaked;
    uint256 public ghostFunded;
    uint256 public ghostClaimed;
    uint256 public ghostPenalties;
    uint256 public nextKey = 1;
    uint256[] public nodeIds;

    constructor() {
        sesh = new SESH(address(this), 1e30);
        // Key proofs are tested on their own (Ed25519.test.ts); here the economics are.
        ServiceNodeRegistry impl = new ServiceNodeRegistryUnproven();
        bytes memory init =
            abi.encodeCall(ServiceNodeRegistry.initialize, (address(this), IERC20(address(sesh)), REQ, 100, 1000, 1e9));
        registry = ServiceNodeRegistry(address(new ERC1967Proxy(address(impl), init)));
        for (uint256 i = 0; i < people.length; i++) {
            sesh.transfer(people[i], 1e24);
            vm.prank(people[i]);
            sesh.approve(address(registry), type(uint256).max);
        }
    }

    function register(uint256 who, uint256 share, uint16 fee) external {
        address op = people[who % people.length];
        uint256 stake = bound(share, REQ / 4, REQ);
        vm.prank(op);
        uint256 id = registry.registerNode(bytes32(nextKey), bytes32(nextKey + 1e6), 1, 1, uint16(fee % 10_001), stake, "");
        nextKey++;
        nodeIds.push(id);
        ghostStaked += stake;
    }

    function contribute(uint256 idx, uint256 who, uint256 amount) external {
        if (nodeIds.length == 0) return;
        uint256 id = nodeIds[idx % nodeIds.length];
        ServiceNodeRegistry.Node memory n = registry.getNode(id);
        if (n.status != ServiceNodeRegistry.Status.AwaitingContributions) return;
        uint256 remaining = n.stakingRequirement - n.totalStaked;
        amount = bound(amount, 1, remaining);
        vm.prank(people[who % people.length]);
        try registry.contribute(id, amount) {
            ghostStaked += amount;
        } catch {}
    }

    function fund(uint256 amount) external {
        amount = bound(amount, 1, 1e15);
        sesh.approve(address(registry), amount);
        registry.fundRewards(amount);
        ghostFunded += amount;
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 3 days));
    }

    function exit(uint256 idx) external {
        if (nodeIds.length == 0) return;
        uint256 id = nodeIds[idx % nodeIds.length];
        ServiceNodeRegistry.Node memory n = registry.getNode(id);
        bool awaiting = n.status == ServiceNodeRegistry.Status.AwaitingContributions;
        if (!awaiting && n.status != ServiceNodeRegistry.Status.Active) return;
        vm.prank(n.operator);
        registry.requestExit(id);
        if (awaiting) ghostStaked -= n.totalStaked;
    }

    function finalize(uint256 idx) external {
        if (nodeIds.length == 0) return;
        uint256 id = nodeIds[idx % nodeIds.length];
        ServiceNodeRegistry.Node memory n = registry.getNode(id);
        if (n.status != ServiceNodeRegistry.Status.Exiting || block.timestamp < n.unlockAt) return;
        registry.finalizeExit(id);
        ghostStaked -= n.totalStaked;
    }

    function liquidate(uint256 idx) external {
        if (nodeIds.length == 0) return;
        uint256 id = nodeIds[idx % nodeIds.length];
        ServiceNodeRegistry.Node memory n = registry.getNode(id);
        if (
            n.status == ServiceNodeRegistry.Status.Exited || n.status == ServiceNodeRegistry.Status.Removed
        ) return;
        uint256 poolBefore = registry.rewardPool();
        registry.liquidate(id, "fuzz");
        ghostStaked -= n.totalStaked;
        ghostPenalties += registry.rewardPool() - poolBefore;
    }

    function claim(uint256 who) external {
        address a = people[who % people.length];
        uint256 before = sesh.balanceOf(a);
        vm.prank(a);
        try registry.claimRewards(nodeIds) {
            ghostClaimed += sesh.balanceOf(a) - before;
        } catch {}
    }
}

contract StakingInvariantsTest is TestBase {
    StakingHandler internal handler;

    function setUp() public {
        handler = new StakingHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// The registry's record of stakes equals what was actually staked and not returned.
    function invariant_totalStakedMatchesGhost() public view {
        assertEq(handler.registry().totalStaked(), handler.ghostStaked(), "totalStaked != sum of live stakes");
    }

    /// Tokens held cover every live stake plus the undistributed pool.
    function invariant_balanceCoversStakesAndPool() public view {
        ServiceNodeRegistry r = handler.registry();
        uint256 held = handler.sesh().balanceOf(address(r));
        require(held >= r.totalStaked() + r.rewardPool(), "token balance below stakes + pool");
    }

    /// Rewards paid out never exceed what was funded plus penalties.
    function invariant_rewardsNeverExceedPool() public view {
        require(handler.ghostClaimed() <= handler.ghostFunded() + handler.ghostPenalties(), "paid more than funded");
    }

    /// Fuzzed single sequence: register, fund, wait, claim; claims never exceed funding.
    function testFuzz_claimsBoundedByFunding(uint256 share, uint256 amount, uint256 secs) public {
        handler.register(0, share, 500);
        handler.fund(amount);
        handler.warp(secs);
        handler.claim(0);
        require(handler.ghostClaimed() <= handler.ghostFunded(), "claimed more than funded");
        assertEq(handler.registry().totalStaked(), handler.ghostStaked(), "stake accounting");
    }
}
