import { ed25519PkToX25519, verify } from "@session/crypto";
import type { SignatureVerifier } from "@session/protocol/rpc";

/** Ed25519 checks for the monitor's auth (libsodium). */
export const ed25519Verifier: SignatureVerifier = {
  verify: (signature, message, pubkey) => verify(signature, message, pubkey),
  ed25519PubkeyToX25519(pubkey) {
    try {
      return ed25519PkToX25519(pubkey);
    } catch {
      return null;
    }
  },
};
