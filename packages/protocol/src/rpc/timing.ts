import { ProtocolError } from "../errors.ts";
import { isPublicInboxNamespace, maxTtlForNamespace } from "../namespaces.ts";
import {
  DELETE_BEFORE_FUTURE_TOLERANCE_MS,
  EXPIRE_PAST_TOLERANCE_MS,
  SIGNATURE_TOLERANCE_FORWARDED_MS,
  SIGNATURE_TOLERANCE_MS,
  STORE_TOLERANCE_MS,
  TTL_MAXIMUM_PRIVATE_MS,
  TTL_MINIMUM_MS,
} from "./limits.ts";
import type { RpcSubrequest } from "./subrequest.ts";

/*
 * Clock rules of oxenss/rpc/request_handler.cpp, as pure functions of the request and `now`
 * (ms). One deliberate difference: where the real server answers a clock problem with 401
 * (delete_before's "too far in the future", expire's "should be >= current time") we use
 * TIMESTAMP_OUT_OF_WINDOW (406) like every other clock error.
 */

export interface TimingOptions {
  /** The request was forwarded by a swarm peer (allows 70 s instead of 60 s). */
  forwarded?: boolean;
}

function tolerance(opts: TimingOptions): number {
  return opts.forwarded ? SIGNATURE_TOLERANCE_FORWARDED_MS : SIGNATURE_TOLERANCE_MS;
}

/** A signature timestamp must be within ±60 s (±70 s when forwarded) of now. */
export function checkSignatureTimestamp(
  ts: number,
  now: number,
  what: string,
  opts: TimingOptions = {},
): void {
  const tol = tolerance(opts);
  if (ts < now - tol || ts > now + tol) {
    throw new ProtocolError("TIMESTAMP_OUT_OF_WINDOW", `${what} timestamp too far from current time`);
  }
}

/**
 * Checks the clock and TTL rules for a request (not its signature). For store, returns nothing
 * but throws INVALID_TTL when ttl is under 10 s or over 14 days (30 days for non-public
 * namespaces), and TIMESTAMP_OUT_OF_WINDOW when the timestamp is >10 s in the future or the
 * expiry >10 s in the past.
 */
export function checkRequestTiming(req: RpcSubrequest, now: number, opts: TimingOptions = {}): void {
  switch (req.method) {
    case "store": {
      const p = req.params;
      const ttl = p.expiry - p.timestamp;
      if (ttl < TTL_MINIMUM_MS || ttl > maxTtlForNamespace(p.namespace)) {
        throw new ProtocolError("INVALID_TTL", "Provided expiry/TTL is not valid.");
      }
      if (p.timestamp > now + STORE_TOLERANCE_MS || p.expiry < now - STORE_TOLERANCE_MS) {
        throw new ProtocolError("TIMESTAMP_OUT_OF_WINDOW", "Timestamp error: check your clock");
      }
      if (!isPublicInboxNamespace(p.namespace) && p.auth) {
        // The real server checks ±60 s here even for forwarded stores.
        checkSignatureTimestamp(p.auth.sigTimestamp, now, "store signature");
      }
      return;
    }
    case "retrieve":
      if (req.params.auth) checkSignatureTimestamp(req.params.auth.timestamp, now, "retrieve");
      return;
    case "delete_all":
      checkSignatureTimestamp(req.params.timestamp, now, "delete_all", opts);
      return;
    case "get_expiries":
      checkSignatureTimestamp(req.params.timestamp, now, "get_expiries");
      return;
    case "revoke_subaccount":
      checkSignatureTimestamp(req.params.timestamp, now, "revoke_subaccount");
      return;
    case "unrevoke_subaccount":
      checkSignatureTimestamp(req.params.timestamp, now, "unrevoke_subaccount");
      return;
    case "delete_before":
      if (req.params.before > now + DELETE_BEFORE_FUTURE_TOLERANCE_MS) {
        // oxenss answers this one 401 (not 406).
        throw new ProtocolError("UNAUTHORIZED", "delete_before timestamp too far in the future", {
          reason: "TIMESTAMP_OUT_OF_WINDOW",
        });
      }
      return;
    case "expire_all":
      if (req.params.expiry < now - tolerance(opts)) {
        throw new ProtocolError("TIMESTAMP_OUT_OF_WINDOW", "expire_all timestamp should be >= current time");
      }
      return;
    case "expire":
      for (const e of req.params.expiry) {
        if (e < now - EXPIRE_PAST_TOLERANCE_MS) {
          // oxenss answers this one 401 (not 406).
          throw new ProtocolError("UNAUTHORIZED", "expire: timestamp should be >= current time", {
            reason: "TIMESTAMP_OUT_OF_WINDOW",
          });
        }
      }
      return;
    case "delete":
    case "get_swarm":
    case "info":
    case "oxend_request":
      return;
  }
}

/** The expiry `expire` actually applies: requested values capped at now + 30 days. */
export function appliedExpiry(requested: number, now: number): number {
  return Math.min(now + TTL_MAXIMUM_PRIVATE_MS, requested);
}
