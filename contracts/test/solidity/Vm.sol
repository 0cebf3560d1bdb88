// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// The few Foundry-compatible cheatcodes these tests use (Hardhat 3's Solidity test runner
/// provides them at the standard address); forge-std is not installable offline.
interface Vm {
    function warp(uint256) external;
    function prank(address) external;
    function startPrank(address) external;
    function stopPrank() external;
    function assume(bool) external pure;
    function expectRevert(bytes4) external;
}

abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertEq(uint256 a, uint256 b, string memory why) internal pure {
        require(a == b, why);
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}
