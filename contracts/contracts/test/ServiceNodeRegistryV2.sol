// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ServiceNodeRegistry} from "../ServiceNodeRegistry.sol";

/// @dev Upgrade target used by the tests: adds one function, keeps the storage layout.
contract ServiceNodeRegistryV2 is ServiceNodeRegistry {
    function version() external pure returns (string memory) {
        return "2";
    }
}
