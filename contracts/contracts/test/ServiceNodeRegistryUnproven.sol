// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ServiceNodeRegistry} from "../ServiceNodeRegistry.sol";

/// @dev Test only: accepts any key proof, so fuzz tests can register arbitrary keys and exercise
///      the staking economics. Never deployed.
contract ServiceNodeRegistryUnproven is ServiceNodeRegistry {
    function _requireKeyProof(bytes32, bytes32, uint32, uint16, bytes calldata) internal pure override {}
}
