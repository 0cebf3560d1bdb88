// Onion requests: building them (client side), peeling and relaying them (hop side), the v4
// request/response framing, and the node link's frames. Subpath `@session/protocol/onion`; the root
// entry re-exports the client side.

// Client side: build a request, read the answer

export { buildOnionRequest, type OnionDestination, type OnionHop } from "./builder.ts";
export { decodeFinalHopResponse } from "./relay.ts";
export type { EncType } from "./routing.ts";

// v4 framing (the body a server reads and answers)

export {
  decodeV4Request,
  decodeV4Response,
  encodeV4Request,
  encodeV4Response,
  type V4RequestInfo,
  type V4Response,
} from "./v4.ts";

// Hop side: one layer's wire format and what the hop does with it

export { decodeOnionLayer, encodeOnionLayer, ONION_MAX_LAYER_SIZE } from "./layer.ts";
export { type DecryptedLayerAction, interpretDecryptedLayer } from "./layer-action.ts";
export {
  decodeRelayRequest,
  encodeFinalHopResponse,
  encodeRelayRequest,
  type OnionServerDestination,
} from "./relay.ts";
export { FINAL_HOP_CONTROL, firstHopInfoSchema, ONION_MAX_HOPS, parseEncType } from "./routing.ts";

// Node link: frames of the persistent node-to-node connection

export {
  encodeLinkPeerRequest,
  encodeLinkReply,
  encodeLinkRequest,
  LINK_FRAME_OVERHEAD,
  LINK_PEER_AUTH_BYTES,
  LINK_REPLY_OVERHEAD,
  type LinkFrame,
  LinkFrameReader,
  LinkFrameType,
  type LinkPeerAuth,
  NODE_LINK_PATH,
  NODE_LINK_PROTOCOL,
} from "./node-link-frames.ts";
