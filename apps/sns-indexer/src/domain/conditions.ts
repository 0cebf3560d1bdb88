import type { Logger } from "pino";
import { ChainRpcError } from "../chain/errors.ts";

/** Whether a database error means the disk (or the database's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    // SQLite: SQLITE_FULL; the OS: ENOSPC; PostgreSQL: 53100 disk_full.
    if (e.code === "SQLITE_FULL" || e.code === "ENOSPC" || e.code === "53100") return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** The first error code along the cause chain (drizzle wraps the driver's error, e.g. SQLSTATE 53100). */
function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === "string") return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

export interface ChainRpcCondition {
  ok: boolean;
  /** Unix ms of the last sync the chain answered in full; null before the first. */
  lastSuccessAt: number | null;
  consecutiveFailures: number;
  /** Code and message of the last failure (no URL: it can hold an API key). */
  lastError: string | null;
}

export interface DatabaseCondition {
  ok: boolean;
  lastError: string | null;
  since: number | null;
}

export interface DiskFullCondition {
  active: boolean;
  since: number | null;
}

/**
 * The indexer's view of its dependencies, for /health and /metrics. Each condition is logged once
 * when it starts and once when it clears, never per failed call.
 */
export class IndexerConditions {
  readonly chainRpc: ChainRpcCondition = {
    ok: true,
    lastSuccessAt: null,
    consecutiveFailures: 0,
    lastError: null,
  };
  readonly database: DatabaseCondition = { ok: true, lastError: null, since: null };
  readonly diskFull: DiskFullCondition = { active: false, since: null };
  /** Failed chain calls by error code (metrics). */
  readonly rpcErrors = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  rpcSucceeded(): void {
    const c = this.chainRpc;
    if (!c.ok) this.logger.info({ failures: c.consecutiveFailures }, "chain RPC answering again");
    c.ok = true;
    c.consecutiveFailures = 0;
    c.lastSuccessAt = this.now();
  }

  rpcFailed(err: unknown): void {
    const code = err instanceof ChainRpcError ? err.code : "RPC_UNKNOWN";
    this.rpcErrors.set(code, (this.rpcErrors.get(code) ?? 0) + 1);
    const c = this.chainRpc;
    c.consecutiveFailures++;
    c.lastError = err instanceof ChainRpcError ? `${err.code}: ${err.message}` : String(err);
    if (c.ok)
      this.logger.warn({ code }, "chain RPC failing; serving what is indexed and retrying with backoff");
    c.ok = false;
  }

  /** A database call succeeded; only a write clears "disk full" (reads work on a full disk). */
  dbSucceeded(write: boolean): void {
    if (!this.database.ok) this.logger.info("database answering again");
    this.database.ok = true;
    this.database.lastError = null;
    this.database.since = null;
    if (write && this.diskFull.active) {
      this.logger.info("disk space available again: indexing resumed");
      this.diskFull.active = false;
      this.diskFull.since = null;
    }
  }

  dbFailed(err: unknown): void {
    const full = isDiskFull(err);
    const code = codeOf(err);
    if (full) {
      if (!this.diskFull.active)
        this.logger.error(
          { code },
          "disk full: indexing paused, serving what is indexed; resumes when space returns",
        );
      this.diskFull.active = true;
      this.diskFull.since ??= this.now();
      return;
    }
    if (this.database.ok)
      this.logger.error(
        { code },
        "database unavailable: indexing paused, retrying; reads from memory continue",
      );
    this.database.ok = false;
    this.database.lastError = `${typeof code === "string" ? `${code}: ` : ""}${err instanceof Error ? err.message : String(err)}`;
    this.database.since ??= this.now();
  }
}
