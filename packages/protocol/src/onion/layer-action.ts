import { decodeOnionLayer } from "./layer.ts";
import { type OnionServerDestination, parseOnionServerDestination } from "./relay.ts";
import { parseOnionRouting, type RelayToNode, type RelayToServer } from "./routing.ts";

/** What a node must do with a layer it has decrypted (oxenss process_inner_request). */
export type DecryptedLayerAction =
  /** Run `body` (a JSON storage RPC request) here; reply per `json`/`base64` (see encodeFinalHopResponse). */
  | { kind: "final"; body: Uint8Array; json: boolean; base64: boolean }
  /** Send `blob` on to `next.destination` as a relay request (see encodeRelayRequest). */
  | { kind: "node"; next: RelayToNode; blob: Uint8Array }
  /** POST `body` — the whole decrypted layer, as oxenss does — to `url`. */
  | {
      kind: "server";
      route: RelayToServer;
      destination: OnionServerDestination;
      url: string;
      body: Uint8Array;
    };

/**
 * Interprets a decrypted layer `[N][inner]{routing}`. Throws ONION_BAD_LAYER for malformed
 * layers or routing, ONION_TARGET_NOT_ALLOWED for server targets oxenss refuses.
 */
export function interpretDecryptedLayer(plaintext: Uint8Array, maxSize?: number): DecryptedLayerAction {
  const layer = decodeOnionLayer(plaintext, maxSize);
  const route = parseOnionRouting(layer.json);
  switch (route.kind) {
    case "final":
      return { kind: "final", body: layer.payload, json: route.json ?? false, base64: route.base64 ?? true };
    case "node": {
      const { kind: _k, ...next } = route;
      return { kind: "node", next, blob: layer.payload };
    }
    case "server": {
      const { kind: _k, ...server } = route;
      const destination = parseOnionServerDestination(server);
      return { kind: "server", route: server, destination, url: destination.url, body: plaintext };
    }
  }
}
