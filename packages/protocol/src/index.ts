// @session/protocol: the wire formats shared by the client, the node and the services. This entry
// holds the common surface; each part that stands alone has its own subpath with its full surface:
// `/rpc` (storage RPC, server side), `/onion` (hop side, node link), `/swarm` (swarm assignment,
// seed, service-node list), `/monitor`, `/config` (user configs), `/groups`. See README.md.

// Errors

export {
  type ErrorBody,
  ErrorCode,
  errorTable,
  fromZodError,
  ProtocolError,
  toErrorBody,
} from "./errors.ts";

// Encodings and identifiers

export { toBase32z } from "./base32z.ts";
export { bencode } from "./bencode.ts";
export { computeMessageHash } from "./message-hash.ts";
export { isPublicOutboxNamespace, TTL_MAXIMUM_PRIVATE_MS } from "./namespaces.ts";
export { parseUserPubkey } from "./pubkey.ts";

// Session messages (protobuf envelopes and content, the storage wrapper)

export {
  type AttachmentPointer,
  type Content,
  decodeContent,
  decodeEnvelope,
  EnvelopeType,
  ExpirationType,
  encodeContent,
  encodeEnvelope,
  type GroupUpdateMessage,
  type LokiProfile,
  unwrapFromStorage,
  wrapForStorage,
} from "./proto/codec.ts";

// Push notifications

export {
  decodePushNotification,
  encodePushNotification,
  type PushMessage,
  type PushNotificationContent,
} from "./push-notification.ts";

// Storage RPC, client side (the rest: `@session/protocol/rpc`)

export { type ParamsSigner, signRpcParams } from "./rpc/sign.ts";

// Onion requests, client side (the hop side: `@session/protocol/onion`)

export { buildOnionRequest, type OnionDestination, type OnionHop } from "./onion/builder.ts";
export { decodeFinalHopResponse } from "./onion/relay.ts";
export type { EncType } from "./onion/routing.ts";
export { decodeV4Response, encodeV4Request } from "./onion/v4.ts";

// Service nodes and swarms, client side (the rest: `@session/protocol/swarm`)

export { type NodeInfo, nodeInfoSchema } from "./swarm/node-info.ts";
export { swarmForPubkey } from "./swarm/space.ts";
