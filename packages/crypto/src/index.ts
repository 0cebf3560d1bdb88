export { concatBytes, equalBytes, fromBase64, fromHex, toBase64, toHex, utf8Decode, utf8Encode } from "./bytes.ts";
export { CryptoError, type CryptoErrorCode } from "./errors.ts";
export { blake2b } from "./hash.ts";
