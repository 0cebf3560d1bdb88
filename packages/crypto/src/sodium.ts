// libsodium (sumo build: it has the ed25519 point/scalar ops blinding needs) is WASM and must
// finish loading before any call. Top-level await makes every export of this package usable
// synchronously once imported.
import sodiumModule from "libsodium-wrappers-sumo";

await sodiumModule.ready;

export const sodium = sodiumModule;
