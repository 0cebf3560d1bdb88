// Placeholder wiring to @session/crypto's onion hop functions; filled in once they land.
export type EncType = "aes-gcm" | "xchacha20";
export interface X25519Keys {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}
export function decryptFromClient(
  _encType: EncType,
  _ciphertext: Uint8Array,
  _clientKey: Uint8Array,
  _keys: X25519Keys,
): Uint8Array {
  throw new Error("not wired yet");
}
export function encryptToClient(
  _encType: EncType,
  _plaintext: Uint8Array,
  _clientKey: Uint8Array,
  _keys: X25519Keys,
): Uint8Array {
  throw new Error("not wired yet");
}
