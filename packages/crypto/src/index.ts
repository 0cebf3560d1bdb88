export { aesGcmDecrypt, aesGcmEncrypt, xchachaDecrypt, xchachaEncrypt } from "./aead.ts";
export {
  decryptAttachment,
  type EncryptedAttachment,
  encryptAttachment,
  encryptedAttachmentSize,
  MAX_ATTACHMENT_SIZE,
  MAX_ATTACHMENT_UPLOAD_BYTES,
  padAttachment,
  paddedAttachmentSize,
} from "./attachment.ts";
export {
  type BlindedKeyPair,
  blind15KeyPair,
  blind15Sign,
  blind25KeyPair,
  blind25Sign,
  fullEd25519SecretKey,
  isValidEd25519Point,
} from "./blind-sign.ts";
export {
  type BlindedDmOpened,
  decryptFromBlindedRecipient,
  encryptForBlindedRecipient,
  ownBlindedId,
} from "./blinded-dm.ts";
export {
  blind15Factor,
  blind15Id,
  blind15Ids,
  blind25Factor,
  blind25Id,
  sessionIdMatchesBlinded,
  x25519PkToEd25519,
} from "./blinding.ts";
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
export {
  CONFIG_ENCRYPT_OVERHEAD,
  configDecrypt,
  configEncrypt,
  configPaddedSize,
  padConfig,
  unpadConfig,
} from "./config-encrypt.ts";
export { CryptoError, type CryptoErrorCode } from "./errors.ts";
export {
  decryptForMultiple,
  deterministicBytes,
  encryptForMultiple,
  groupSeedHash,
  groupSubaccountSign,
  groupSubaccountToken,
  groupX25519,
  makeGroupSubaccount,
  type SubaccountAuth,
  SubaccountFlags,
  subaccountBlindFactor,
  xchachaOpenWithNonce,
  xchachaSealWithNonce,
} from "./group.ts";
export { blake2b, hmacSha256, sha256, sha512 } from "./hash.ts";
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
export { mnemonicToSeed, seedToMnemonic } from "./mnemonic.ts";
export {
  decryptNameRecord,
  decryptOnsResponse,
  ENCRYPTED_VALUE_BYTES,
  encryptNameRecord,
  encryptOnsValue,
  NAME_NONCE_BYTES,
  NAME_RECORD_BYTES,
  nameHash,
  nameHashBase64,
  nameHashHex,
  normalizeName,
  splitNameRecord,
} from "./names.ts";
export {
  ed25519SigningKey,
  ed25519VerifyingKey,
  nativeSign,
  nativeVerify,
  nativeX25519,
  x25519PrivateKeyObject,
} from "./native.ts";
export {
  ipv4ToUint32,
  type NodeRegistrationFields,
  nodeRegistrationMessage,
  signNodeRegistration,
  verifyNodeRegistration,
} from "./node-registration.ts";
export {
  ONION_ENC_TYPES,
  type OnionEncType,
  type OnionReplyKeys,
  onionDecryptFromClient,
  onionDecryptResponse,
  onionEncryptForHop,
  onionEncryptResponse,
  onionHopKey,
  onionHopServer,
  onionOpenReply,
  onionSealLayer,
} from "./onion.ts";
export { paddedMessageLength, padMessage, unpadMessage } from "./padding.ts";
export { decryptPushPayload, encryptPushPayload, PUSH_PAYLOAD_PAD, padPushPayload } from "./push.ts";
export {
  isSessionId,
  type ParsedSessionId,
  parseSessionId,
  SessionIdPrefix,
  type SessionIdPrefixName,
  sessionIdFromX25519,
} from "./session-id.ts";
export {
  type DecryptedMessage,
  decryptIncoming,
  decryptIncomingX25519,
  encryptForRecipient,
  encryptForRecipientDeterministic,
} from "./session-protocol.ts";
