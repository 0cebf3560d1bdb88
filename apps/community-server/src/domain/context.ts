import type { Db } from "../db/sql.ts";

export interface CommunityLimits {
  /** Largest room file upload in bytes (SOGS: 10 MB). */
  maxFileBytes: number;
  /** Seconds an upload lives before a post claims it (SOGS: 1 h). */
  uploadTtlSeconds: number;
  /** Seconds a file attached to a post lives (SOGS UPLOAD_DEFAULT_EXPIRY: 15 days). */
  attachmentTtlSeconds: number;
  /** Seconds a blinded DM waits in an inbox (SOGS DM_EXPIRY: 15 days). */
  dmTtlSeconds: number;
  /** Allowed distance of X-SOGS-Timestamp from our clock (SOGS: 24 h). */
  timestampWindowSeconds: number;
  /** Refuse unblinded (00) request keys, as a SOGS with REQUIRE_BLIND_KEYS. */
  requireBlinded: boolean;
  /** Seconds a room user counts as active (SOGS ROOM_DEFAULT_ACTIVE_THRESHOLD: 7 days). */
  activeThresholdSeconds: number;
}

export const DEFAULT_LIMITS: CommunityLimits = {
  maxFileBytes: 10_000_000,
  uploadTtlSeconds: 3600,
  attachmentTtlSeconds: 15 * 86_400,
  dmTtlSeconds: 15 * 86_400,
  timestampWindowSeconds: 86_400,
  requireBlinded: true,
  activeThresholdSeconds: 7 * 86_400,
};

/** What every domain function takes: the database, the clock, the server key and the limits. */
export interface DomainDeps {
  db: Db;
  /** Unix milliseconds. */
  now: () => number;
  /** The server's X25519 public key (the key clients blind and sign against). */
  serverPk: Uint8Array;
  limits: CommunityLimits;
}

export const seconds = (deps: { now: () => number }) => deps.now() / 1000;
