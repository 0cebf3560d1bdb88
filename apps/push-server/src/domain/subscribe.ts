import { ed25519PkToX25519, fromBase64, fromHex, toHex, verify } from "@session/crypto";
import { decodeSubaccountToken, SubaccountAccess } from "@session/protocol/rpc";
import { z } from "zod";
import type { PushService, Subscription, SubscriptionRepo } from "../db/repo.ts";
import { SubscribeCode, SubscribeError } from "./errors.ts";

/** Signatures older than this are refused (spns Subscription: 14 days). */
export const SUBSCRIBE_SIG_MAX_AGE_S = 14 * 24 * 60 * 60;
/** ... and more than this in the future (24 hours). */
export const SUBSCRIBE_SIG_MAX_FUTURE_S = 24 * 60 * 60;
/** Unsubscribe signatures must be within this of now, either way (spns UNSUBSCRIBE_GRACE). */
export const UNSUBSCRIBE_GRACE_S = 24 * 60 * 60;

/** Bytes given as hex or (standard) base64, as spns `from_hex_or_b64` accepts. */
function hexOrB64(len: number, what: string) {
  return z.string().transform((s, ctx) => {
    if (s.length === len * 2 && /^[0-9a-fA-F]+$/.test(s)) return fromHex(s);
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(s)) {
      try {
        const b = fromBase64(s);
        if (b.length === len) return b;
      } catch {
        // fall through to the issue below
      }
    }
    ctx.addIssue({ code: "custom", message: `${what} must be ${len} bytes, hex or base64` });
    return z.NEVER;
  });
}

// Provider tokens are printable ASCII (FCM registration tokens, APNs hex); refusing anything else
// keeps control bytes out of the database.
const serviceInfo = z.object({
  token: z
    .string()
    .min(1, "service_info.token must not be empty")
    .max(4096)
    .regex(/^[\x21-\x7e]+$/, "service_info.token must be printable ASCII"),
});

const common = {
  pubkey: hexOrB64(33, "pubkey"),
  session_ed25519: hexOrB64(32, "session_ed25519").optional(),
  /** 36-byte subaccount token: prefix ‖ flags ‖ 2 reserved ‖ the subaccount's Ed25519 key. */
  subaccount: hexOrB64(36, "subaccount").optional(),
  /** The account key's signature of the token. */
  subaccount_sig: hexOrB64(64, "subaccount_sig").optional(),
  sig_ts: z.number().int().nonnegative(),
  signature: hexOrB64(64, "signature"),
  service: z.string().min(1),
  service_info: serviceInfo,
};

export const subscribeRequestSchema = z.object({
  ...common,
  namespaces: z.array(z.number().int().min(-32768).max(32767)).min(1, "namespaces missing or empty").max(64),
  data: z.boolean(),
  enc_key: hexOrB64(32, "enc_key"),
});
export const unsubscribeRequestSchema = z.object(common);

export interface SubscribeDeps {
  repo: SubscriptionRepo;
  /** Unix milliseconds. */
  now: () => number;
  /** Services with a configured notifier. */
  services: ReadonlySet<string>;
  /** Told about accounts whose subscriptions changed (the watcher). */
  onChange?: (pubkey: string) => void;
}

export type SubResult =
  | { success: true; added?: true; updated?: true; removed?: boolean; message: string }
  | { error: SubscribeCode; message: string };

const enc = new TextEncoder();

function firstIssue(err: z.ZodError): string {
  const i = err.issues[0];
  if (!i) return "invalid request";
  if (i.code === "invalid_type" && i.input === undefined)
    return `Missing required parameter: ${i.path.join(".")}`;
  return `Invalid ${i.path.join(".") || "request"}: ${i.message}`;
}

/** Subaccount authentication as given: the token and the account's signature of it. */
export interface SubaccountAuth {
  token: Uint8Array;
  sig: Uint8Array;
}

/**
 * Verifies who signed `msg` for `pubkey` (spns `verify_storage_signature`): 05 Session IDs sign
 * with the Ed25519 key given in session_ed25519, which must convert to the ID's X25519 key; other
 * prefixes (03 groups, …) sign with the account key itself. With a subaccount, that account key
 * must have signed the token, the token must grant read (for this prefix, or any prefix), and
 * the token's own key must have signed `msg`.
 */
function verifyAccountSignature(
  pubkey: Uint8Array,
  sessionEd: Uint8Array | undefined,
  msg: string,
  sig: Uint8Array,
  subaccount?: SubaccountAuth,
): void {
  const key = pubkey.subarray(1);
  let signer: Uint8Array;
  if (pubkey[0] === 0x05) {
    if (!sessionEd)
      throw new SubscribeError(SubscribeCode.BAD_INPUT, "session_ed25519 is required for 05 Session IDs");
    let x: Uint8Array;
    try {
      x = ed25519PkToX25519(sessionEd);
    } catch (cause) {
      throw new SubscribeError(SubscribeCode.ERROR, "session_ed25519 is not a valid Ed25519 key", { cause });
    }
    if (toHex(x) !== toHex(key))
      throw new SubscribeError(SubscribeCode.ERROR, "session_ed25519 does not match the Session ID");
    signer = sessionEd;
  } else {
    if (sessionEd)
      throw new SubscribeError(SubscribeCode.BAD_INPUT, "session_ed25519 is only allowed for 05 Session IDs");
    signer = key;
  }
  if (subaccount) {
    const token = decodeSubaccountToken(subaccount.token);
    if ((token.flags & SubaccountAccess.Read) === 0)
      throw new SubscribeError(
        SubscribeCode.ERROR,
        "Invalid subaccount: this subaccount does not have read permission",
      );
    if ((token.flags & SubaccountAccess.AnyPrefix) === 0 && token.prefix !== pubkey[0])
      throw new SubscribeError(
        SubscribeCode.ERROR,
        "Invalid subaccount: subaccount and main account have mismatched network prefix",
      );
    if (!verify(subaccount.sig, subaccount.token, signer))
      throw new SubscribeError(SubscribeCode.ERROR, "Subaccount auth signature verification failed");
    if (!verify(sig, enc.encode(msg), token.pubkey))
      throw new SubscribeError(SubscribeCode.ERROR, "Subaccount main signature verification failed");
    return;
  }
  if (!verify(sig, enc.encode(msg), signer))
    throw new SubscribeError(SubscribeCode.ERROR, "Invalid signature: signature verification failed");
}

/** spns: a token needs its signature; a signature without a token is ignored. */
function subaccountOf(req: {
  subaccount?: Uint8Array | undefined;
  subaccount_sig?: Uint8Array | undefined;
}): SubaccountAuth | undefined {
  if (req.subaccount === undefined) return undefined;
  if (req.subaccount_sig === undefined)
    throw new SubscribeError(SubscribeCode.ERROR, "Cannot specify subaccount without subaccount_sig");
  return { token: req.subaccount, sig: req.subaccount_sig };
}

function checkCommon(deps: SubscribeDeps, req: { service: string }) {
  if (req.service !== "firebase" && req.service !== "apns")
    throw new SubscribeError(SubscribeCode.SERVICE_NOT_AVAILABLE, `unknown service "${req.service}"`);
  if (!deps.services.has(req.service))
    throw new SubscribeError(
      SubscribeCode.SERVICE_NOT_AVAILABLE,
      `service "${req.service}" is not available`,
    );
}

/** One `/subscribe` entry: validate, check the MONITOR signature, store (spns semantics). */
export async function subscribeOne(deps: SubscribeDeps, body: unknown): Promise<SubResult> {
  return (await subscribeMany(deps, [body]))[0]!;
}

/**
 * `/subscribe` entries: each is validated and verified on its own (a bad one gets its error),
 * then every valid one is stored in one transaction — all or none: if the database fails, the
 * request fails and nothing of it is stored, so a client's retry starts clean.
 */
export async function subscribeMany(deps: SubscribeDeps, bodies: readonly unknown[]): Promise<SubResult[]> {
  const checked = bodies.map((body): Subscription | SubResult => {
    try {
      return verifiedSubscription(deps, body);
    } catch (err) {
      if (err instanceof SubscribeError) return { error: err.code, message: err.message };
      throw err;
    }
  });
  const valid = checked.filter((c): c is Subscription => !("message" in c));
  const added = valid.length > 0 ? await deps.repo.upsertMany(valid) : [];
  for (const sub of new Set(valid.map((v) => v.pubkey))) deps.onChange?.(sub);
  let i = 0;
  return checked.map((c) => {
    if ("message" in c) return c;
    return added[i++]
      ? { success: true, added: true, message: "Subscription successful" }
      : { success: true, updated: true, message: "Resubscription successful" };
  });
}

/** A `/subscribe` entry checked as spns checks it, as the row to store; throws SubscribeError. */
function verifiedSubscription(deps: SubscribeDeps, body: unknown): Subscription {
  const parsed = subscribeRequestSchema.safeParse(body);
  if (!parsed.success) throw new SubscribeError(SubscribeCode.BAD_INPUT, firstIssue(parsed.error));
  const r = parsed.data;
  checkCommon(deps, r);
  const subaccount = subaccountOf(r);
  for (let i = 0; i + 1 < r.namespaces.length; i++) {
    const a = r.namespaces[i] as number;
    const b = r.namespaces[i + 1] as number;
    if (a > b)
      throw new SubscribeError(SubscribeCode.ERROR, "Subscription: namespaces are not sorted numerically");
    if (a === b)
      throw new SubscribeError(SubscribeCode.ERROR, "Subscription: namespaces contains duplicates");
  }
  const nowS = Math.floor(deps.now() / 1000);
  if (r.sig_ts <= nowS - SUBSCRIBE_SIG_MAX_AGE_S)
    throw new SubscribeError(SubscribeCode.ERROR, "Subscription: sig_ts timestamp is too old");
  if (r.sig_ts >= nowS + SUBSCRIBE_SIG_MAX_FUTURE_S)
    throw new SubscribeError(SubscribeCode.ERROR, "Subscription: sig_ts timestamp is too far in the future");
  const pubkeyHex = toHex(r.pubkey);
  const msg = `MONITOR${pubkeyHex}${r.sig_ts}${r.data ? "1" : "0"}${r.namespaces.join(",")}`;
  verifyAccountSignature(r.pubkey, r.session_ed25519, msg, r.signature, subaccount);
  return {
    pubkey: pubkeyHex,
    sessionEd25519: r.session_ed25519 ? toHex(r.session_ed25519) : null,
    subaccount: subaccount ? toHex(subaccount.token) : null,
    subaccountSig: subaccount ? toHex(subaccount.sig) : null,
    namespaces: r.namespaces,
    wantData: r.data,
    sigTs: r.sig_ts,
    signature: toHex(r.signature),
    service: r.service as PushService,
    token: r.service_info.token,
    encKey: toHex(r.enc_key),
    updatedMs: deps.now(),
  };
}

/** One `/unsubscribe` entry: signature of "UNSUBSCRIBE" ‖ pubkey hex ‖ sig_ts, then delete. */
export async function unsubscribeOne(deps: SubscribeDeps, body: unknown): Promise<SubResult> {
  try {
    const parsed = unsubscribeRequestSchema.safeParse(body);
    if (!parsed.success) throw new SubscribeError(SubscribeCode.BAD_INPUT, firstIssue(parsed.error));
    const r = parsed.data;
    checkCommon(deps, r);
    const subaccount = subaccountOf(r);
    const nowS = Math.floor(deps.now() / 1000);
    if (Math.abs(r.sig_ts - nowS) > UNSUBSCRIBE_GRACE_S)
      throw new SubscribeError(SubscribeCode.ERROR, "Invalid signature: sig_ts is too far from current time");
    const pubkeyHex = toHex(r.pubkey);
    verifyAccountSignature(
      r.pubkey,
      r.session_ed25519,
      `UNSUBSCRIBE${pubkeyHex}${r.sig_ts}`,
      r.signature,
      subaccount,
    );
    const removed = await deps.repo.remove(pubkeyHex, r.service, r.service_info.token);
    if (removed) deps.onChange?.(pubkeyHex);
    return {
      success: true,
      removed,
      message: removed
        ? "Device unsubscribed from push notifications"
        : "Device was not subscribed to push notifications",
    };
  } catch (err) {
    if (err instanceof SubscribeError) return { error: err.code, message: err.message };
    throw err;
  }
}
