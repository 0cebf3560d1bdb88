import { ed25519PkToX25519, nativeVerify } from "@session/crypto";
import type { SignatureVerifier } from "@session/protocol/rpc";

/** Ed25519 checks for the monitor's auth: OpenSSL verify, libsodium's Ed25519 → X25519. */
export const ed25519Verifier: SignatureVerifier = {
  verify: (signature, message, pubkey) => pubkey.length === 32 && nativeVerify(signature, message, pubkey),
  ed25519PubkeyToX25519(pubkey) {
    try {
      return ed25519PkToX25519(pubkey);
    } catch {
      return null;
    }
  },
};
