// libsodium (sumo build: it has the ed25519 point/scalar ops blinding needs) is WASM and must
// finish loading before any call. Top-level await makes every export of this package usable
// synchronously once imported.
import { createRequire } from "node:module";
import sodiumModule from "libsodium-wrappers-sumo";

await sodiumModule.ready;

export const sodium = sodiumModule;

/**
 * Where the libsodium module this package loads lives, for a worker thread that loads its own
 * copy (threads share no WASM instance): `require(sodiumModulePath())` there.
 */
export function sodiumModulePath(): string {
  return createRequire(import.meta.url).resolve("libsodium-wrappers-sumo");
}
