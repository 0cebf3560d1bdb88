/** Stable codes for every failure this package reports. */
export type CryptoErrorCode =
  | "INVALID_HEX"
  | "INVALID_BASE64"
  | "INVALID_KEY"
  | "INVALID_SEED"
  | "INVALID_SESSION_ID"
  | "MNEMONIC_UNKNOWN_WORD"
  | "MNEMONIC_BAD_LENGTH"
  | "MNEMONIC_CHECKSUM"
  | "DECRYPT_FAILED"
  | "BAD_SIGNATURE"
  | "INVALID_PADDING"
  | "INVALID_INPUT"
  | "INVALID_NAME";

export class CryptoError extends Error {
  override readonly name = "CryptoError";
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}
