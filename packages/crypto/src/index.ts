// Symmetric encryption (AES-256-GCM, XChaCha20-Poly1305)
export { aesGcmDecrypt, aesGcmEncrypt, xchachaDecrypt, xchachaEncrypt } from "./aead.ts";
// Attachments: Session's attachment encryption and padding
export {
  decryptAttachment,
  encryptAttachment,
  encryptedAttachmentSize,
  MAX_ATTACHMENT_SIZE,
  MAX_ATTACHMENT_UPLOAD_BYTES,
  paddedAttachmentSize,
} from "./attachment.ts";
// Blinding: community (SOGS) keys, IDs, signatures and blinded DMs
export {
  blind15KeyPair,
  blind15Sign,
  blind25KeyPair,
  blind25Sign,
  fullEd25519SecretKey,
  isValidEd25519Point,
} from "./blind-sign.ts";
export {
  decryptFromBlindedRecipient,
  encryptForBlindedRecipient,
  ownBlindedId,
} from "./blinded-dm.ts";
export {
  blind15Id,
  blind15Ids,
  blind25Id,
  sessionIdMatchesBlinded,
  x25519PkToEd25519,
} from "./blinding.ts";
// Bytes: hex, base64, UTF-8
export {
  concatBytes,
  decodeCheckedBase64,
  equalBytes,
  fromBase64,
  fromHex,
  toBase64,
  toHex,
  utf8Decode,
  utf8Encode,
} from "./bytes.ts";
// Config messages: libsession's config encryption and padding
export {
  configDecrypt,
  configEncrypt,
  configPaddedSize,
  padConfig,
  unpadConfig,
} from "./config-encrypt.ts";
// Errors
export { CryptoError, type CryptoErrorCode } from "./errors.ts";
// Closed groups: multi-recipient encryption, subaccounts, group keys
export {
  decryptForMultiple,
  deterministicBytes,
  encryptForMultiple,
  groupSeedHash,
  groupSubaccountSign,
  groupSubaccountToken,
  groupX25519,
  makeGroupSubaccount,
  xchachaOpenWithNonce,
  xchachaSealWithNonce,
} from "./group.ts";
// Hashes
export { blake2b, hmacSha256, sha256, sha512 } from "./hash.ts";
// Account keys and signatures
export {
  type AccountKeys,
  ed25519PkToX25519,
  ed25519SkToX25519,
  generateSeed,
  type KeyPair,
  keypairFromSeed,
  randomBytesArray,
  sign,
  verify,
  x25519Keypair,
  x25519PublicFromSecret,
  x25519SharedSecret,
} from "./keys.ts";
// Recovery phrase
export { mnemonicToSeed, seedToMnemonic } from "./mnemonic.ts";
// Session Name Service: name hashes and encrypted name records
export {
  decryptNameRecord,
  decryptOnsResponse,
  encryptNameRecord,
  encryptOnsValue,
  NAME_RECORD_BYTES,
  nameHash,
  nameHashBase64,
  nameHashHex,
  normalizeName,
  splitNameRecord,
} from "./names.ts";
// Service-node registration
export {
  ipFromUint32,
  ipv4ToUint32,
  nodeRegistrationMessage,
  type RegisteredNode,
  signNodeRegistration,
  verifyNodeRegistration,
} from "./node-registration.ts";
// Onion request layers (client and hop side)
export {
  ONION_ENC_TYPES,
  type OnionEncType,
  type OnionReplyKeys,
  type OpenedOnionLayer,
  onionDecryptFromClient,
  onionDecryptResponse,
  onionEncryptForHop,
  onionEncryptResponse,
  onionHopKey,
  onionHopServer,
  onionOpenReply,
  onionSealLayer,
} from "./onion.ts";
// Message padding
export { paddedMessageLength, padMessage, unpadMessage } from "./padding.ts";
// Push notification payloads
export { decryptPushPayload, encryptPushPayload, padPushPayload } from "./push.ts";
// Session IDs
export {
  isSessionId,
  parseSessionId,
  SessionIdPrefix,
  sessionIdFromX25519,
} from "./session-id.ts";
// Session protocol: 1:1 message encryption
export {
  decryptIncoming,
  decryptIncomingX25519,
  encryptForRecipient,
  encryptForRecipientDeterministic,
} from "./session-protocol.ts";
// The libsodium module, for worker threads that load their own copy
export { sodiumModulePath, sodiumNativePath } from "./sodium.ts";
