import {
  blake2b,
  concatBytes,
  decryptForMultiple,
  deterministicBytes,
  ed25519PkToX25519,
  ed25519SkToX25519,
  encryptForMultiple,
  fromHex,
  groupSeedHash,
  groupX25519,
  randomBytesArray,
  sign,
  toHex,
  utf8Encode,
  verify,
  xchachaOpenWithNonce,
  xchachaSealWithNonce,
} from "@session/crypto";
import { type BtDict, binToBytes, btDecode, btEncode, bytesToBin, isDict } from "../config/bt.ts";
import { zstdDecompress } from "../config/zstd.ts";
import { ProtocolError } from "../errors.ts";

/*
 * Group encryption keys as libsession's groups::Keys keeps them (src/config/groups/keys.cpp),
 * stored in the group's namespace 12:
 *
 *   rekey:      d 1:# nonce(24) 1:G generation 1:K key-for-admins 1:k [key-for-member…] 1:~ sig e
 *   supplement: d 1:# nonce(24) 1:+ [keys-for-member…] 1:G generation 1:~ sig e
 *
 * A rekey draws a new 32-byte key (and nonce) from BLAKE2b over the member list, the generation
 * and a hash of the group seed; admins open K with a seed-derived key, each member opens one
 * entry of k (libsession encrypt_for_multiple, from the group's X25519 key), padded with junk
 * entries to a multiple of 75 so the size hides the member count. A supplement gives new members
 * every current key ({g, k, t} dicts) so they read from their join point. Every message is
 * signed by the group's Ed25519 key. Old keys are kept: messages under them stay readable.
 */

const KEY_GEN = utf8Encode("SessionGroupKeyGen");
const MEMBER_DOMAIN = "SessionGroupKeyMemberKey";
const MESSAGE_KEY_MULTIPLE = 75;
const SIG_TAIL = 3 + 3 + 64 + 1;

export interface GroupKey {
  generation: number;
  key: Uint8Array;
  /** When the key was issued (ms). */
  timestamp: number;
}

function sessionXpk(sessionId: string): Uint8Array {
  if (!/^05[0-9a-f]{64}$/.test(sessionId))
    throw new ProtocolError("BAD_REQUEST", "group members must be 05 Session IDs");
  return fromHex(sessionId.slice(2));
}

function signed(d: BtDict, groupSk: Uint8Array): Uint8Array {
  const body = btEncode(d);
  const unsigned = body.slice(0, -1);
  const sig = sign(binToBytes(unsigned), groupSk);
  return binToBytes(`${unsigned}1:~64:${bytesToBin(sig)}e`);
}

/** The keys of one group, as seen by one member (or admin, with the group's secret key). */
export class GroupKeys {
  private readonly keys: GroupKey[] = [];
  private readonly xsk: Uint8Array;
  private readonly xpk: Uint8Array;

  constructor(
    readonly groupPk: Uint8Array,
    userEd25519Sk: Uint8Array,
    public groupSk?: Uint8Array,
  ) {
    this.xsk = ed25519SkToX25519(userEd25519Sk);
    this.xpk = ed25519PkToX25519(userEd25519Sk.subarray(32));
  }

  get admin(): boolean {
    return this.groupSk !== undefined;
  }

  /** Every key held, newest generation first. */
  all(): GroupKey[] {
    return [...this.keys].sort((a, b) => b.generation - a.generation);
  }

  /** The key new messages and configs are encrypted with. */
  current(): GroupKey {
    const k = this.all()[0];
    if (!k) throw new ProtocolError("BAD_REQUEST", "no group key yet");
    return k;
  }

  private add(k: GroupKey): boolean {
    const same = this.keys.find((x) => x.generation === k.generation && toHex(x.key) === toHex(k.key));
    if (same) return false;
    this.keys.push(k);
    return true;
  }

  /** The keys held, for saving (hex keys); `import` takes them back. */
  export(): { generation: number; key: string; timestamp: number }[] {
    return this.all().map((k) => ({ generation: k.generation, key: toHex(k.key), timestamp: k.timestamp }));
  }

  import(saved: readonly { generation: number; key: string; timestamp: number }[]): void {
    for (const k of saved) {
      const key = fromHex(k.key);
      if (key.length !== 32 || !Number.isSafeInteger(k.generation))
        throw new ProtocolError("BAD_REQUEST", "saved group key is malformed");
      this.add({ generation: k.generation, key, timestamp: k.timestamp });
    }
  }

  /** libsession Keys::rekey for `memberIds` (05 Session IDs, admins included). */
  rekey(memberIds: readonly string[], now = Date.now()): Uint8Array {
    const gsk = this.groupSk;
    if (!gsk) throw new ProtocolError("FORBIDDEN", "only admins can issue group keys");
    const sorted = [...memberIds].sort();
    const gen = this.keys.length ? Math.max(...this.keys.map((k) => k.generation)) + 1 : 0;
    const h1 = blake2b(
      concatBytes(
        ...sorted.map(utf8Encode),
        utf8Encode(String(gen)),
        groupSeedHash(gsk, "SessionGroupKeySeed"),
      ),
      56,
      KEY_GEN,
    );
    const key = h1.slice(0, 32);
    const nonce = h1.slice(32);
    const adminKey = groupSeedHash(gsk, "SessionGroupKeyAdminKey");
    const K = xchachaSealWithNonce(adminKey, nonce, key);
    const gx = groupX25519(gsk);
    const k = encryptForMultiple(key, sorted.map(sessionXpk), nonce, gx.sk, gx.pk, MEMBER_DOMAIN);
    if (k.length % MESSAGE_KEY_MULTIPLE) {
      const n = MESSAGE_KEY_MULTIPLE - (k.length % MESSAGE_KEY_MULTIPLE);
      const seed = blake2b(concatBytes(h1, gsk), 32, utf8Encode("SessionGroupJunkMembers"));
      const junk = deterministicBytes(48 * n, seed);
      for (let i = 0; i < n; i++) k.push(junk.slice(i * 48, i * 48 + 48));
    }
    const msg = signed({ "#": bytesToBin(nonce), G: gen, K: bytesToBin(K), k: k.map(bytesToBin) }, gsk);
    this.add({ generation: gen, key, timestamp: now });
    return msg;
  }

  /** libsession Keys::key_supplement: every current key, for `memberIds` only. */
  supplement(memberIds: readonly string[]): Uint8Array {
    const gsk = this.groupSk;
    if (!gsk) throw new ProtocolError("FORBIDDEN", "only admins can issue group keys");
    if (!this.keys.length) throw new ProtocolError("BAD_REQUEST", "no group key to supplement");
    const ordered = [...this.keys].sort((a, b) => a.generation - b.generation);
    const supp = btEncode(ordered.map((k) => ({ g: k.generation, k: bytesToBin(k.key), t: k.timestamp })));
    const nonce = blake2b(
      concatBytes(...memberIds.map(utf8Encode), binToBytes(supp), groupSeedHash(gsk, "SessionGroupKeySeed")),
      24,
      KEY_GEN,
    );
    const gx = groupX25519(gsk);
    const list = encryptForMultiple(
      binToBytes(supp),
      memberIds.map(sessionXpk),
      nonce,
      gx.sk,
      gx.pk,
      MEMBER_DOMAIN,
    );
    if (!list.length) throw new ProtocolError("BAD_REQUEST", "no valid Session IDs for supplemental keys");
    return signed(
      { "#": bytesToBin(nonce), "+": list.map(bytesToBin), G: ordered[ordered.length - 1]!.generation },
      gsk,
    );
  }

  /**
   * Loads a keys message from namespace 12 (its storage timestamp dates a rekey); returns true
   * when it gave us a new key. Messages not signed by the group, or not for us, are ignored.
   */
  load(message: Uint8Array, timestamp: number): boolean {
    if (message.length < SIG_TAIL + 2) return false;
    let d: BtDict;
    try {
      const v = btDecode(bytesToBin(message));
      if (!isDict(v)) return false;
      d = v;
    } catch {
      return false;
    }
    const sig = d["~"];
    if (typeof sig !== "string" || sig.length !== 64) return false;
    if (!verify(binToBytes(sig), message.subarray(0, message.length - SIG_TAIL), this.groupPk)) return false;
    const nonce = d["#"];
    if (typeof nonce !== "string" || nonce.length !== 24) return false;
    const n = binToBytes(nonce);
    const gpk = ed25519PkToX25519(this.groupPk);
    if (Array.isArray(d["+"])) {
      const plain = decryptForMultiple(
        (d["+"] as string[]).map(binToBytes),
        n,
        this.xsk,
        this.xpk,
        gpk,
        MEMBER_DOMAIN,
      );
      if (!plain) return false;
      let got = false;
      const list = btDecode(bytesToBin(plain));
      if (!Array.isArray(list)) return false;
      for (const e of list) {
        if (!isDict(e) || typeof e.g !== "number" || typeof e.k !== "string" || e.k.length !== 32) continue;
        got =
          this.add({
            generation: e.g,
            key: binToBytes(e.k),
            timestamp: typeof e.t === "number" ? e.t : timestamp,
          }) || got;
      }
      return got;
    }
    const gen = d.G;
    if (typeof gen !== "number") return false;
    let key: Uint8Array | undefined;
    if (this.groupSk && typeof d.K === "string") {
      key = xchachaOpenWithNonce(groupSeedHash(this.groupSk, "SessionGroupKeyAdminKey"), n, binToBytes(d.K));
    }
    if (!key && Array.isArray(d.k)) {
      key = decryptForMultiple((d.k as string[]).map(binToBytes), n, this.xsk, this.xpk, gpk, MEMBER_DOMAIN);
    }
    if (!key || key.length !== 32) return false;
    return this.add({ generation: gen, key, timestamp });
  }
}

const ENCRYPT_OVERHEAD = 24 + 16;
/** libsession Keys::MAX_PLAINTEXT_MESSAGE_SIZE. */
const MAX_PLAINTEXT = 1_000_000;

/**
 * libsession Keys::encrypt_message: d 0: i1e 1:a sender-Ed25519 1:d plaintext 1:s signature e,
 * zero-padded so the whole ciphertext is a multiple of `padding`, then XChaCha20-Poly1305 with
 * the group key; output nonce ‖ ciphertext. The sender's signature is inside the encryption.
 */
export function encryptGroupMessage(
  userEd25519Sk: Uint8Array,
  groupKey: Uint8Array,
  plaintext: Uint8Array,
  padding = 256,
): Uint8Array {
  if (plaintext.length > MAX_PLAINTEXT)
    throw new ProtocolError("PAYLOAD_TOO_LARGE", "group message is too large");
  let encoded = btEncode({
    "": 1,
    a: bytesToBin(userEd25519Sk.subarray(32, 64)),
    d: bytesToBin(plaintext),
    s: bytesToBin(sign(plaintext, userEd25519Sk)),
  });
  const finalLen = ENCRYPT_OVERHEAD + encoded.length;
  if (padding > 1 && finalLen % padding) encoded += "\0".repeat(padding - (finalLen % padding));
  const nonce = randomBytesArray(24);
  const ct = xchachaSealWithNonce(groupKey, nonce, binToBytes(encoded));
  return concatBytes(nonce, ct);
}

/** libsession Keys::decrypt_message: tries every key; checks the sender's signature. */
export function decryptGroupMessage(
  keys: readonly Uint8Array[],
  ciphertext: Uint8Array,
): { sender: string; plaintext: Uint8Array } {
  if (ciphertext.length < ENCRYPT_OVERHEAD)
    throw new ProtocolError("BAD_REQUEST", "ciphertext is too small to be a group message");
  const nonce = ciphertext.subarray(0, 24);
  let plain: Uint8Array | undefined;
  for (const k of keys) {
    plain = xchachaOpenWithNonce(k, nonce, ciphertext.subarray(24));
    if (plain) break;
  }
  if (!plain) throw new ProtocolError("FORBIDDEN", "unable to decrypt with any current group key");
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  const d = btDecode(bytesToBin(plain.subarray(0, end)));
  if (!isDict(d) || d[""] !== 1) throw new ProtocolError("BAD_REQUEST", "unsupported group message version");
  const a = d.a;
  const s = d.s;
  // Exactly one of d (plain) and z (zstd-compressed); the signature covers the bytes as sent.
  const raw = typeof d.d === "string" ? d.d : d.z;
  if (
    typeof a !== "string" ||
    a.length !== 32 ||
    typeof raw !== "string" ||
    !raw.length ||
    (d.d !== undefined && d.z !== undefined) ||
    typeof s !== "string"
  )
    throw new ProtocolError("BAD_REQUEST", "malformed group message");
  const sent = binToBytes(raw);
  const pk = binToBytes(a);
  if (!verify(binToBytes(s), sent, pk))
    throw new ProtocolError("BAD_SIGNATURE", "group message signature is invalid");
  const plaintext = typeof d.z === "string" ? zstdDecompress(sent, MAX_PLAINTEXT) : sent;
  return { sender: `05${toHex(ed25519PkToX25519(pk))}`, plaintext };
}
