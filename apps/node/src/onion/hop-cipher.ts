import { type HopServer, hopServer, type X25519Keys } from "@session/service-kit";

/**
 * This node's side of onion hop encryption: open a layer a client encrypted to our X25519 key
 * with its ephemeral key, and seal the reply to that same ephemeral key with the same cipher
 * (@session/crypto onion.ts; failures are ONION_DECRYPT_FAILED with oxenss's wording).
 */
export type HopCipher = HopServer;

/** The node's hop cipher for its long-term X25519 keys. */
export function nodeHopCipher(keys: X25519Keys): HopCipher {
  return hopServer(keys, "Invalid ciphertext");
}
