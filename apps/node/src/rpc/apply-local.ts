import { toBase64 } from "@session/crypto";
import { ProtocolError } from "@session/protocol";
import {
  appliedExpiry,
  asciiSort,
  type DeletedOrUpdated,
  deleteAllResponseSignatureMessage,
  deleteBeforeResponseSignatureMessage,
  deleteResponseSignatureMessage,
  effectiveRetrieveLimits,
  expireAllResponseSignatureMessage,
  expireResponseSignatureMessage,
  flattenByNamespace,
  type NamespaceOrAll,
  type RpcSubrequest,
  SubaccountAccess,
  subaccountRevocationResponseSignatureMessage,
} from "@session/protocol/rpc";
import type { SubaccountRevocations } from "../storage/revocations.ts";
import type { MessageStore } from "../storage/store.ts";

// The account methods other than store, applied to this node's own database: retrieve and
// get_expiries, the delete and expire families, and subaccount revocation (split out of
// handler.ts, whose RpcHandler answers and fans out what these return).

/** What applying a subrequest locally needs of the node. */
export interface LocalApplyContext {
  store: MessageStore;
  revocations: SubaccountRevocations;
  /** Signs a response signature message with the node's Ed25519 key (base64). */
  signB64: (msg: Uint8Array) => string;
}

/** Applies `req` here and returns this node's entry of the reply (throws ProtocolError). */
export function applyLocal(c: LocalApplyContext, req: RpcSubrequest, now: number): Record<string, unknown> {
  const s = c.store;
  const pk = "pubkey" in req.params ? req.params.pubkey.hex : "";
  switch (req.method) {
    case "retrieve": {
      const p = req.params;
      const limits = effectiveRetrieveLimits(p.maxCount, p.maxSize);
      const r = s.retrieve(pk, p.namespace, p.lastHash, now, limits);
      return {
        messages: r.messages.map((m) => ({
          hash: m.hash,
          timestamp: m.timestamp,
          expiration: m.expiry,
          data: toBase64(m.data),
        })),
        more: r.more,
      };
    }
    case "get_expiries":
      return { expiries: s.expiries(pk, req.params.messages, now) };
    case "delete": {
      const deleted = asciiSort(s.deleteHashes(pk, req.params.messages));
      return {
        deleted,
        signature: c.signB64(deleteResponseSignatureMessage(pk, req.params.messages, deleted)),
      };
    }
    case "delete_all": {
      const p = req.params;
      const r = scopedReply(s.deleteAll(pk, p.namespace), p.namespace);
      const signed = deleteAllResponseSignatureMessage(pk, p.timestamp, r.signed);
      return { deleted: r.hashes, signature: c.signB64(signed) };
    }
    case "delete_before": {
      const p = req.params;
      const r = scopedReply(s.deleteBefore(pk, p.namespace, p.before), p.namespace);
      const signed = deleteBeforeResponseSignatureMessage(pk, p.before, r.signed);
      return { deleted: r.hashes, signature: c.signB64(signed) };
    }
    case "expire": {
      const p = req.params;
      const targets = p.expiry.map((e) => appliedExpiry(e, now));
      // A subaccount without delete access may only extend (shortening is nearly deleting).
      const sub = p.auth.subaccount;
      const canDelete = !sub || (sub.token[1]! & SubaccountAccess.Delete) !== 0;
      if (!canDelete && p.shorten) {
        throw new ProtocolError(
          "BAD_REQUEST",
          "expire: shorten parameter cannot be used with this subaccount token (missing delete access)",
        );
      }
      const mode = { shorten: p.shorten, extend: p.extend || !canDelete };
      const r = s.expire(pk, p.messages, targets, mode, now);
      const updated = asciiSort(r.updated);
      const expiries = targets.length === 1 ? targets : updated.map((h) => r.newExpiries[h]!);
      const entry: Record<string, unknown> = {
        updated,
        expiry: targets.length === 1 ? targets[0] : expiries,
        signature: c.signB64(
          expireResponseSignatureMessage(
            pk,
            expiries,
            p.messages,
            updated,
            p.shorten || p.extend ? r.unchanged : {},
          ),
        ),
      };
      if (p.shorten || p.extend) entry.unchanged = r.unchanged;
      return entry;
    }
    case "expire_all": {
      const p = req.params;
      const r = scopedReply(s.expireAll(pk, p.namespace, p.expiry, now), p.namespace);
      const signed = expireAllResponseSignatureMessage(pk, p.expiry, r.signed);
      return { updated: r.hashes, signature: c.signB64(signed) };
    }
    case "revoke_subaccount": {
      const p = req.params;
      c.revocations.revoke(pk, p.tokens, now);
      return {
        signature: c.signB64(subaccountRevocationResponseSignatureMessage(pk, p.timestamp, p.tokens)),
      };
    }
    case "unrevoke_subaccount": {
      const p = req.params;
      return {
        count: c.revocations.unrevoke(pk, p.tokens),
        signature: c.signB64(subaccountRevocationResponseSignatureMessage(pk, p.timestamp, p.tokens)),
      };
    }
    default:
      throw new ProtocolError("UNSUPPORTED_METHOD", `no method ${req.method}`);
  }
}

/** Whether a delete's or expire's local result says it deleted or updated anything. */
export function changedSomething(local: Record<string, unknown>): boolean {
  const v = local.deleted ?? local.updated;
  if (Array.isArray(v)) return v.length > 0;
  return !!v && typeof v === "object" && Object.values(v).some((h) => Array.isArray(h) && h.length > 0);
}

/**
 * What delete_all, delete_before and expire_all answer: the hashes grouped by namespace when the
 * request named "all", else that namespace's list (`hashes`), and the one ascii-sorted list the
 * reply's signature covers either way (`signed`).
 */
function scopedReply(
  byNs: Record<string, string[]>,
  namespace: NamespaceOrAll,
): { hashes: DeletedOrUpdated; signed: string[] } {
  if (namespace !== "all") {
    const flat = asciiSort(byNs[String(namespace)] ?? []);
    return { hashes: flat, signed: flat };
  }
  const grouped = Object.fromEntries(Object.entries(byNs).map(([ns, hs]) => [ns, asciiSort(hs)]));
  return { hashes: grouped, signed: flattenByNamespace(byNs) };
}
