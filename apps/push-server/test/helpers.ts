import { type AccountKeys, keypairFromSeed, randomBytesArray, sign, toHex } from "@session/crypto";

import type { Logger } from "@session/service-kit";
import type { PushService, Subscription, SubscriptionRepo } from "../src/db/repo.ts";
import { LogNotifier } from "../src/notifiers/log.ts";
import { type AppDeps, createApp, type PushServer } from "../src/server.ts";

export const newAccount = (): AccountKeys => keypairFromSeed(randomBytesArray(16));

const enc = new TextEncoder();

/** A subaccount of an account: token (prefix ‖ flags ‖ 0 0 ‖ key), the owner's signature, its secret key. */
export interface TestSubaccount {
  token: Uint8Array;
  sig: Uint8Array;
  secretKey: Uint8Array;
}

/** Issues a subaccount token for `owner` (read for prefix 05 unless told otherwise). */
export function makeSubaccount(
  owner: AccountKeys,
  opts: { flags?: number; prefix?: number; signerSecretKey?: Uint8Array } = {},
): TestSubaccount {
  const sub = newAccount().ed25519;
  const token = new Uint8Array(36);
  token[0] = opts.prefix ?? 0x05;
  token[1] = opts.flags ?? 0x01;
  token.set(sub.publicKey, 4);
  return {
    token,
    sig: sign(token, opts.signerSecretKey ?? owner.ed25519.secretKey),
    secretKey: sub.secretKey,
  };
}

/** A /subscribe body for a 05 account, signed as a Session client does. */
export function subscribeBody(
  keys: AccountKeys,
  opts: {
    namespaces?: number[];
    data?: boolean;
    sigTs?: number;
    token?: string;
    encKey?: Uint8Array;
    service?: string;
    /** Sign with this subaccount instead of the account key. */
    subaccount?: TestSubaccount;
  } = {},
) {
  const namespaces = opts.namespaces ?? [0];
  const data = opts.data ?? false;
  const sigTs = opts.sigTs ?? Math.floor(Date.now() / 1000);
  const msg = `MONITOR${keys.sessionId}${sigTs}${data ? "1" : "0"}${namespaces.join(",")}`;
  return {
    pubkey: keys.sessionId,
    session_ed25519: toHex(keys.ed25519.publicKey),
    ...(opts.subaccount
      ? { subaccount: toHex(opts.subaccount.token), subaccount_sig: toHex(opts.subaccount.sig) }
      : {}),
    namespaces,
    data,
    sig_ts: sigTs,
    signature: toHex(sign(enc.encode(msg), opts.subaccount?.secretKey ?? keys.ed25519.secretKey)),
    service: opts.service ?? "firebase",
    service_info: { token: opts.token ?? "device-token-1" },
    enc_key: toHex(opts.encKey ?? new Uint8Array(32).fill(7)),
  };
}

/** The stored row for a (not yet verified) `subscribeBody`, for seeding a repo directly. */
export function subscriptionRow(b: ReturnType<typeof subscribeBody>): Subscription {
  return {
    pubkey: b.pubkey,
    sessionEd25519: b.session_ed25519,
    subaccount: null,
    subaccountSig: null,
    namespaces: b.namespaces,
    wantData: b.data,
    sigTs: b.sig_ts,
    signature: b.signature,
    service: b.service as PushService,
    token: b.service_info.token,
    encKey: b.enc_key,
    updatedMs: Date.now(),
  };
}

export function unsubscribeBody(
  keys: AccountKeys,
  opts: { sigTs?: number; token?: string; subaccount?: TestSubaccount } = {},
) {
  const sigTs = opts.sigTs ?? Math.floor(Date.now() / 1000);
  const signer = opts.subaccount?.secretKey ?? keys.ed25519.secretKey;
  return {
    pubkey: keys.sessionId,
    session_ed25519: toHex(keys.ed25519.publicKey),
    ...(opts.subaccount
      ? { subaccount: toHex(opts.subaccount.token), subaccount_sig: toHex(opts.subaccount.sig) }
      : {}),
    sig_ts: sigTs,
    signature: toHex(sign(enc.encode(`UNSUBSCRIBE${keys.sessionId}${sigTs}`), signer)),
    service: "firebase",
    service_info: { token: opts.token ?? "device-token-1" },
  };
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * createApp with a firebase notifier that only logs and no storage nodes to watch: the
 * subscription API on its own. `deps` adds to or replaces any of those.
 */
export function logOnlyPushApp(
  repo: SubscriptionRepo,
  logger: Logger,
  deps: Partial<AppDeps> = {},
): PushServer {
  return createApp({
    repo,
    notifiers: new Map([["firebase", new LogNotifier("firebase", logger)]]),
    logger,
    fetch,
    listNodes: async () => [],
    ...deps,
  });
}
