import { codedErrorClass } from "@session/errors";

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

/** Bad input or a failed check: deterministic, so never retryable. */
export class CryptoError extends codedErrorClass<CryptoErrorCode>("CryptoError") {}
