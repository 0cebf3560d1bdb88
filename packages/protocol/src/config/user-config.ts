import { decryptIncoming, ed25519PkToX25519, encryptForRecipientDeterministic, toHex } from "@session/crypto";
import { ProtocolError } from "../errors.ts";
import { Namespace } from "../namespaces.ts";
import {
  decodeContent,
  decodeEnvelope,
  decodeWebSocketMessage,
  EnvelopeType,
  encodeContent,
  encodeEnvelope,
  encodeWebSocketMessage,
  SharedConfigKind,
  WebSocketMessageType,
} from "../proto/codec.ts";
import { SyncedConfig } from "./synced-config.ts";

/*
 * The user's own configs, kept in the account's swarm so its linked devices converge
 * (libsession-util src/config/user_profile.cpp, contacts.cpp, convo_info_volatile.cpp):
 * unsigned config messages encrypted with the account's Ed25519 seed under the config's domain,
 * then wrapped as libsession pushes them (src/config/protos.cpp wrap_config): a
 * Content{sharedConfigMessage{kind, seqno, data}} ‖ 0x80, sealed to ourselves with the
 * deterministic Session encryption, in an Envelope (type 6, timestamp 1) in a WebSocketMessage.
 * Received messages are accepted wrapped (once or twice, as an old client did) or bare.
 *
 * Like libsession, a config is pushed zstd-compressed ("z" prefix, level 1) when that is smaller
 * (SyncedConfig.push); both forms are read.
 *
 * The fields of each config's data live beside this file (user-profile.ts, contacts.ts,
 * convo-info-volatile.ts); they are exported from here too, as the user's config API.
 */

export { MAX_NAME_BYTES, MAX_PIC_URL_BYTES, type ProfilePicture } from "./config-fields.ts";
export { type ContactInfo, getContact, readContacts, removeContact, writeContact } from "./contacts.ts";
export {
  CONVO_PRUNE_HIGH_MS,
  CONVO_PRUNE_LOW_MS,
  type ConvoVolatile,
  pruneStaleConvos,
  readConvos1to1,
  writeConvo1to1,
} from "./convo-info-volatile.ts";
export { readUserProfile, type UserProfile, writeUserProfile } from "./user-profile.ts";

export const UserConfigKinds = {
  UserProfile: { namespace: Namespace.UserProfile, kind: SharedConfigKind.USER_PROFILE },
  Contacts: { namespace: Namespace.Contacts, kind: SharedConfigKind.CONTACTS },
  ConvoInfoVolatile: { namespace: Namespace.ConvoInfoVolatile, kind: SharedConfigKind.CONVO_INFO_VOLATILE },
} as const;
export type UserConfigDomain = keyof typeof UserConfigKinds;

/** libsession's largest pushed message (ConfigBase MAX_MESSAGE_SIZE). */
export const MAX_CONFIG_MESSAGE_SIZE = 76_800;

export class UserConfig extends SyncedConfig {
  private readonly seed: Uint8Array;
  private readonly kind: number;

  /** `ed25519SecretKey`: the account's 64-byte Ed25519 secret key (its first 32 bytes are the key). */
  constructor(
    override readonly domain: UserConfigDomain,
    private readonly ed25519SecretKey: Uint8Array,
  ) {
    super(domain, UserConfigKinds[domain].namespace);
    if (ed25519SecretKey.length !== 64)
      throw new ProtocolError("BAD_REQUEST", "user configs need the 64-byte Ed25519 secret key");
    this.seed = ed25519SecretKey.subarray(0, 32);
    this.kind = UserConfigKinds[domain].kind;
  }

  /** The message to store in our swarm (namespace `this.namespace`), as libsession pushes it. */
  pushMessage(): { seqno: number; data: Uint8Array } {
    const seqno = this.seqno;
    const data = wrapUserConfig(this.ed25519SecretKey, super.push(this.seed), seqno, this.kind);
    if (data.length > MAX_CONFIG_MESSAGE_SIZE)
      throw new ProtocolError("PAYLOAD_TOO_LARGE", `${this.domain} config is too large to push`);
    return { seqno, data };
  }

  /** Merges messages retrieved from our swarm (wrapped or bare); true when our view changed. */
  mergeMessages(messages: readonly Uint8Array[]): boolean {
    return this.merge(
      messages.map((m) => this.unwrap(m)),
      [this.seed],
    );
  }

  /**
   * True when a retrieved message is a config of ours we can read (one we may delete once a newer
   * push supersedes it; messages we cannot read may be a newer client's, and are left alone).
   */
  readableMessage(message: Uint8Array): boolean {
    return this.readable(this.unwrap(message), [this.seed]);
  }

  private unwrap(m: Uint8Array): Uint8Array {
    const once = unwrapUserConfig(this.ed25519SecretKey, m, this.kind);
    if (!once) return m;
    return unwrapUserConfig(this.ed25519SecretKey, once, this.kind) ?? once;
  }
}

/** libsession protos::wrap_config. */
export function wrapUserConfig(
  ed25519SecretKey: Uint8Array,
  encrypted: Uint8Array,
  seqno: number,
  kind: number,
): Uint8Array {
  const content = encodeContent({ sharedConfigMessage: { kind, seqno, data: encrypted } });
  const padded = new Uint8Array(content.length + 1);
  padded.set(content);
  padded[content.length] = 0x80;
  const ownX = ed25519PkToX25519(ed25519SecretKey.subarray(32));
  const sealed = encryptForRecipientDeterministic(ed25519SecretKey, ownX, padded);
  const envelope = encodeEnvelope({ type: EnvelopeType.SESSION_MESSAGE, timestamp: 1, content: sealed });
  return encodeWebSocketMessage({
    type: WebSocketMessageType.REQUEST,
    request: { verb: "", path: "", body: envelope, id: 0 },
  });
}

/** libsession protos::unwrap_config; undefined when `data` is not a wrapper of ours of `kind`. */
export function unwrapUserConfig(
  ed25519SecretKey: Uint8Array,
  data: Uint8Array,
  kind: number,
): Uint8Array | undefined {
  try {
    const ws = decodeWebSocketMessage(data);
    if (ws.type !== WebSocketMessageType.REQUEST || !ws.request?.body) return undefined;
    const env = decodeEnvelope(ws.request.body);
    if (!env.content) return undefined;
    const opened = decryptIncoming(ed25519SecretKey, env.content);
    if (toHex(opened.senderEd25519Pk) !== toHex(ed25519SecretKey.subarray(32))) return undefined;
    const p = opened.plaintext;
    let end = p.length;
    while (end > 0 && p[end - 1] === 0) end--;
    if (end === 0 || p[end - 1] !== 0x80) return undefined;
    const shared = decodeContent(p.subarray(0, end - 1)).sharedConfigMessage;
    if (!shared || shared.kind !== kind) return undefined;
    return shared.data;
  } catch {
    return undefined;
  }
}
