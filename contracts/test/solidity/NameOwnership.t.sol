// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SESH} from "../../contracts/SESH.sol";
import {SessionNameService} from "../../contracts/SessionNameService.sol";
import {TestBase} from "./Vm.sol";

contract NameOwnershipTest is TestBase {
    SESH internal sesh;
    SessionNameService internal sns;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);

    function setUp() public {
        sesh = new SESH(address(this), 1e30);
        uint256[5] memory prices = [uint256(5e12), 1e12, 2e11, 5e10, 1e10];
        sns = new SessionNameService(IERC20(address(sesh)), address(0xFEE), address(this), prices);
        for (uint256 i = 0; i < 2; i++) {
            address a = i == 0 ? alice : bob;
            sesh.transfer(a, 1e24);
            vm.prank(a);
            sesh.approve(address(sns), type(uint256).max);
        }
    }

    function _register(address who, bytes32 h, uint8 len, uint256 years_, bytes32 secret) internal {
        bytes memory rec = new bytes(73);
        bytes32 c = sns.makeCommitment(h, len, who, rec, secret);
        vm.prank(who);
        sns.commit(c);
        vm.warp(block.timestamp + 61);
        vm.prank(who);
        sns.register(h, len, rec, years_, secret);
    }

    /// Whoever reveals first owns the name, pays by length, and nobody else can take it while live.
    function testFuzz_ownershipIsExclusiveWhileLive(bytes32 h, uint8 len, uint8 years_, bytes32 secret) public {
        len = uint8(bound(len, 1, 63));
        years_ = uint8(bound(years_, 1, 10));
        uint256 treasuryBefore = sesh.balanceOf(address(0xFEE));
        _register(alice, h, len, years_, secret);
        require(sns.ownerOf(uint256(h)) == alice, "alice owns it");
        assertEq(sesh.balanceOf(address(0xFEE)) - treasuryBefore, sns.price(len, years_), "paid the price");
        require(!sns.available(h), "not available while live");

        bytes32 c = sns.makeCommitment(h, len, bob, new bytes(73), secret);
        vm.prank(bob);
        sns.commit(c);
        vm.warp(block.timestamp + 61);
        vm.prank(bob);
        vm.expectRevert(SessionNameService.NameUnavailable.selector);
        sns.register(h, len, new bytes(73), 1, secret);
        require(sns.ownerOf(uint256(h)) == alice, "still alice");
    }

    /// After expiry plus grace the name is free again and the new registrant owns it.
    function testFuzz_expiredNamesCanBeTakenOver(bytes32 h, uint32 extra) public {
        _register(alice, h, 7, 1, bytes32(uint256(1)));
        vm.warp(block.timestamp + 365 days + 90 days + 1 + uint256(extra));
        require(sns.available(h), "available after grace");
        _register(bob, h, 7, 1, bytes32(uint256(2)));
        require(sns.ownerOf(uint256(h)) == bob, "bob owns it now");
    }
}
