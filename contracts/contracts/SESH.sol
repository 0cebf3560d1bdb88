// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title SESH, the Session Network token
/// @notice Fixed supply: every token is minted once, at deployment, to the treasury. The contract
///         has no owner and no mint function, so the supply can never grow.
contract SESH is ERC20, ERC20Permit {
    error ZeroTreasury();

    constructor(address treasury, uint256 totalSupply_) ERC20("Session", "SESH") ERC20Permit("Session") {
        if (treasury == address(0)) revert ZeroTreasury();
        _mint(treasury, totalSupply_);
    }

    /// @notice SESH has 9 decimals, like the real token.
    function decimals() public pure override returns (uint8) {
        return 9;
    }
}
