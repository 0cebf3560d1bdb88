import type { EncType } from "@session/protocol";
import { hopServer, type X25519KeyPair } from "./hop-encryption.ts";

/**
 * This node's side of onion hop encryption (libsession onionreq/hop_encryption.cpp): open a
 * layer a client encrypted to our X25519 key with its ephemeral key, and seal the reply to that
 * same ephemeral key with the same cipher.
 */
export interface HopCipher {
  /** Throws ProtocolError ONION_DECRYPT_FAILED when the ciphertext does not open. */
  open(
    encType: EncType,
    ciphertext: Uint8Array,
    ephemeralKey: Uint8Array,
  ): { plaintext: Uint8Array; seal(reply: Uint8Array): Uint8Array };
}

/** The node's hop cipher for its long-term X25519 keys. */
export function nodeHopCipher(keys: X25519KeyPair): HopCipher {
  return hopServer(keys);
}
