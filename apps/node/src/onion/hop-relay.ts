// Onion layers addressed elsewhere: relayed to the next node (the inner ciphertext, re-framed as
// oxenss encode_onion_data) or POSTed to an HTTP(S) server, and the answer passed back untouched.
import { fromHex } from "@session/crypto";
import { type DecryptedLayerAction, encodeRelayRequest } from "@session/protocol/onion";
import { isTimeout, type NodePost, postWithTimeout } from "./http.ts";
import { ONION_RELAY_PATH, onionLimits } from "./limits.ts";
import type { OnionDeps, OnionHopInput } from "./process.ts";
import { invalidUrl, messageOf, type OnionReply, plainReply, type Seal } from "./reply.ts";
import { checkDestination, isDestinationRefused } from "./server-destination.ts";

/** Relays the inner ciphertext to the next node the layer names. */
export async function relayToNode(
  deps: OnionDeps,
  input: OnionHopInput,
  action: Extract<DecryptedLayerAction, { kind: "node" }>,
): Promise<OnionReply> {
  const limits = onionLimits(deps.limits);
  const route = action.next;
  const dest = route.destination.toLowerCase();
  if (dest === deps.selfEd25519Hex) {
    return plainReply(400, "ONION_HOP_LIMIT", "onion request loops back to this node");
  }
  const base = deps.nodeBaseUrl(dest);
  if (base === undefined) return plainReply(502, "BAD_GATEWAY", `Next node not found: ${dest}`);
  if (input.hopNo + 1 > limits.maxHops) {
    return plainReply(400, "ONION_HOP_LIMIT", "onion request max path length exceeded");
  }
  const relayBody = encodeRelayRequest({
    data: action.blob,
    encType: route.enc_type,
    ephemeralKey: fromHex(route.ephemeral_key),
    hopNo: input.hopNo + 1,
  });
  return relay(
    deps,
    deps.nodePost ?? viaFetch(deps.nodeFetch),
    `${base}${ONION_RELAY_PATH}`,
    relayBody,
    limits.nodeTimeoutMs,
    "node",
    () => `Next node unreachable: ${dest}`,
  );
}

const viaFetch =
  (fetchFn: typeof fetch): NodePost =>
  (url, body, opts) =>
    postWithTimeout(fetchFn, url, body, opts);

/** POSTs to the next hop and passes its answer back; timeouts → 504, failures → 502. */
async function relay(
  deps: OnionDeps,
  post: NodePost,
  url: string,
  body: Uint8Array,
  timeoutMs: number,
  outcome: "node" | "server",
  failure: (err: unknown) => string,
): Promise<OnionReply> {
  try {
    const res = await post(url, body, {
      timeoutMs,
      maxReplyBytes: onionLimits(deps.limits).maxReplyBytes,
    });
    return { status: res.status, body: res.body, contentType: res.contentType, outcome };
  } catch (err) {
    if (isTimeout(err)) return plainReply(504, "GATEWAY_TIMEOUT", "Request time out");
    deps.logger?.debug({ err: errorCodeOf(err) }, `onion: ${outcome} unreachable`);
    return plainReply(502, "BAD_GATEWAY", failure(err));
  }
}

/** POSTs the decrypted layer to the HTTP(S) server it names (if the policy allows it). */
export async function relayToServer(
  deps: OnionDeps,
  seal: Seal,
  action: Extract<DecryptedLayerAction, { kind: "server" }>,
): Promise<OnionReply> {
  // Port and IP literal first; a host name is checked when it resolves (serverPost's lookup).
  try {
    checkDestination(action.destination, deps.servers);
  } catch {
    return invalidUrl(seal);
  }
  // The whole decrypted layer goes on: the server reads [N][ciphertext]{…ephemeral_key…} itself.
  let refused = false;
  const post: NodePost = (url, body, opts) =>
    deps.serverPost(url, body, opts).catch((err: unknown) => {
      refused = isDestinationRefused(err);
      throw err;
    });
  const reply = await relay(
    deps,
    post,
    action.destination.url,
    action.body,
    onionLimits(deps.limits).serverTimeoutMs,
    "server",
    (err) => `Onion proxied request failed: ${messageOf(err)}`,
  );
  return refused ? invalidUrl(seal) : reply;
}

/**
 * What a log line may say about an error here: a short code, never its message (messages can
 * carry client-chosen text such as a host name or an enc_type).
 */
function errorCodeOf(err: unknown): string {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{0,39}$/.test(code)) return code;
  }
  return err instanceof Error && /^[A-Za-z]{1,40}$/.test(err.name) ? err.name : "unknown";
}
