// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ed25519} from "../lib/Ed25519.sol";

/// Exposes the library to tests.
contract Ed25519Harness {
    function verify(bytes32 publicKey, bytes calldata message, bytes calldata signature) external view returns (bool) {
        return Ed25519.verify(publicKey, message, signature);
    }

    function sha512(bytes calldata data) external pure returns (bytes memory) {
        return Ed25519.sha512(data);
    }
}
