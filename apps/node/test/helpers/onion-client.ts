import { fromBase64, onionSealLayer, utf8Decode } from "@session/crypto";
import {
  buildOnionRequest,
  decodeFinalHopResponse,
  decodeV4Response,
  type EncType,
  type OnionDestination,
  type OnionHop,
} from "@session/protocol";
import { openHopReply } from "@session/service-kit";

/**
 * Client side of an onion request for tests and benchmarks: builds the layers with
 * @session/protocol's buildOnionRequest (libsession's layer order) and opens the reply the
 * destination encrypted with the last layer's key.
 */
export function buildClientOnion(opts: {
  payload: Uint8Array;
  destination: OnionDestination;
  hops: readonly OnionHop[];
  encType: EncType;
}) {
  const built = buildOnionRequest(opts, onionSealLayer);
  const key = built.destinationKeys;
  return {
    request: built.request,
    /** Opens the bytes the final hop sent: base64 text unless the routing asked for raw. */
    openRaw(reply: Uint8Array): Uint8Array {
      const text = utf8Decode(reply);
      const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? fromBase64(text) : reply;
      return openHopReply(opts.encType, bytes, key);
    },
    /** A classic {"status","body"} answer of a node's storage RPC. */
    openJson(reply: Uint8Array): { status: number; body: unknown } {
      return decodeFinalHopResponse(utf8Decode(this.openRaw(reply)));
    },
    /** A v4 answer (servers, or a node given a v4 request). */
    openV4(reply: Uint8Array) {
      return decodeV4Response(openHopReply(opts.encType, reply, key));
    },
  };
}

export async function postBytes(url: string, body: Uint8Array) {
  const res = await fetch(url, { method: "POST", body: body as Uint8Array<ArrayBuffer> });
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()), headers: res.headers };
}
