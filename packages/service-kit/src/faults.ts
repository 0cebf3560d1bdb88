import { ProtocolError } from "@session/protocol";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";

/**
 * Conditions that degrade a service without stopping it: it keeps answering what it can, refuses
 * the rest with a stable error, and clears the condition by itself once an operation succeeds.
 */
type FaultCondition = "disk_full" | "database_unavailable";

const CONDITIONS: readonly FaultCondition[] = ["disk_full", "database_unavailable"];

/** Error codes that mean "no space left": the OS, SQLite, PostgreSQL (SQLSTATE 53100 disk_full). */
const DISK_FULL_CODES = new Set(["ENOSPC", "EDQUOT", "SQLITE_FULL", "53100"]);

/**
 * Error codes that mean the database connection went away: PostgreSQL's admin/crash shutdown and
 * cannot-connect-now (57P01–57P03), socket errors, and postgres.js's own CONNECTION_* codes.
 */
const CONNECTION_LOST_CODES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECTION_CLOSED",
  "CONNECT_TIMEOUT",
]);

/** Walks an error and its causes (drizzle wraps driver errors in DrizzleQueryError). */
function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    e = e.cause;
  }
  return codes;
}

export function isDiskFull(err: unknown): boolean {
  if (err instanceof ProtocolError) return err.code === "STORAGE_FULL";
  return codesOf(err).some((c) => DISK_FULL_CODES.has(c));
}

function isConnectionLost(err: unknown): boolean {
  if (err instanceof ProtocolError) return err.code === "DATABASE_UNAVAILABLE";
  return codesOf(err).some((c) => CONNECTION_LOST_CODES.has(c));
}

/** The condition an error is a symptom of, if any. */
export function faultOf(err: unknown): FaultCondition | undefined {
  if (isDiskFull(err)) return "disk_full";
  if (isConnectionLost(err)) return "database_unavailable";
  return undefined;
}

/**
 * The stable error a client gets for a fault (STORAGE_FULL 507, DATABASE_UNAVAILABLE 503), with
 * the original as its cause; undefined when `err` is no fault.
 */
export function faultError(err: unknown): ProtocolError | undefined {
  if (err instanceof ProtocolError) return isDiskFull(err) || isConnectionLost(err) ? err : undefined;
  const fault = faultOf(err);
  if (fault === "disk_full") return new ProtocolError("STORAGE_FULL", undefined, undefined, { cause: err });
  if (fault === "database_unavailable")
    return new ProtocolError("DATABASE_UNAVAILABLE", undefined, undefined, { cause: err });
  return undefined;
}

interface FaultMonitorOptions {
  logger: Logger;
  /** The service's registry: `<prefix>degraded{condition}` is 1 while a condition holds. */
  registry: Registry;
  prefix: string;
}

/** What /health reports. */
interface HealthReport {
  status: "ok" | "degraded";
  conditions: FaultCondition[];
}

/**
 * Tracks which fault conditions hold. Each is logged once when it starts and once when it clears
 * (never per request), shown in /health (`degraded`, with the list) and /metrics (a gauge).
 */
export class FaultMonitor {
  private readonly since = new Map<FaultCondition, number>();
  private readonly gauge: Gauge<"condition">;

  constructor(private readonly opts: FaultMonitorOptions) {
    this.gauge = new Gauge({
      name: `${opts.prefix}degraded`,
      help: "1 while a fault condition holds (disk_full: writes refused; database_unavailable: connection lost)",
      labelNames: ["condition"],
      registers: [opts.registry],
    });
    for (const c of CONDITIONS) this.gauge.set({ condition: c }, 0);
  }

  /** Classifies `err`; a fault starts its condition (logged if new) and is returned. */
  observe(err: unknown): FaultCondition | undefined {
    const fault = faultOf(err);
    if (fault) this.raise(fault, err);
    return fault;
  }

  raise(condition: FaultCondition, err?: unknown): void {
    if (this.since.has(condition)) return;
    this.since.set(condition, Date.now());
    this.gauge.set({ condition }, 1);
    this.opts.logger.error(
      { condition, ...(err !== undefined ? { err } : {}) },
      condition === "disk_full"
        ? "disk full: refusing writes until space returns (reads still served)"
        : "database connection lost: failing affected requests while reconnecting",
    );
  }

  clear(condition: FaultCondition): void {
    const since = this.since.get(condition);
    if (since === undefined) return;
    this.since.delete(condition);
    this.gauge.set({ condition }, 0);
    this.opts.logger.info({ condition, lastedMs: Date.now() - since }, "fault condition cleared");
  }

  /** A read answered: the database is reachable again. */
  readSucceeded(): void {
    this.clear("database_unavailable");
  }

  /** A write landed: there is space again, and the database is reachable. */
  writeSucceeded(): void {
    this.clear("database_unavailable");
    this.clear("disk_full");
  }

  has(condition: FaultCondition): boolean {
    return this.since.has(condition);
  }

  conditions(): FaultCondition[] {
    return CONDITIONS.filter((c) => this.since.has(c));
  }

  health(): HealthReport {
    const conditions = this.conditions();
    return { status: conditions.length > 0 ? "degraded" : "ok", conditions };
  }
}

/**
 * `read`: retried once on a lost connection; its success clears database_unavailable.
 * `write`: not retried; its success also clears disk_full (a write landed, so there is space).
 * `delete`: a write that only removes rows. On PostgreSQL (`deletesNeedSpace: false`) it needs no
 * new space (rows are marked dead in place), so its success says nothing about space and clears
 * database_unavailable only; otherwise a full disk would be reported cleared by every deletion
 * and raised again (and logged) by the next insert. SQLite writes a deletion to its journal: there
 * a delete is a write.
 */
type OperationKind = "read" | "write" | "delete";

/** Which of a store's methods read, write or only delete (methods not listed are not monitored). */
export type OperationKinds<T> = Partial<Record<keyof T, OperationKind>>;

/** OperationKinds from the methods of each kind, e.g. `operationKinds<Repo>({ read: ["get"], write: ["put"] })`. */
export function operationKinds<T>(
  methodsByKind: Partial<Record<OperationKind, readonly (keyof T)[]>>,
): OperationKinds<T> {
  const kinds: OperationKinds<T> = {};
  for (const kind of ["read", "write", "delete"] as const) {
    for (const method of methodsByKind[kind] ?? []) kinds[method] = kind;
  }
  return kinds;
}

/** What every service store on SQLite or PostgreSQL offers besides its queries. */
export interface DatabaseStore {
  /** Whether deleting rows needs free space (SQLite: through its journal; PostgreSQL: no). */
  readonly deletesNeedSpace: boolean;
  close(): Promise<void>;
}

/**
 * Wraps a store (repository) so that every listed method reports to `monitor`: success clears
 * conditions, a fault raises its condition and is rethrown as its stable ProtocolError. A read
 * (idempotent) that lost its database connection is tried once more, on a fresh connection.
 * Methods not listed (close, …) pass through untouched.
 */
export function monitoredStore<T extends object>(
  store: T,
  monitor: FaultMonitor,
  kinds: OperationKinds<T>,
  options: { deletesNeedSpace?: boolean } = {},
): T {
  const deletesNeedSpace = options.deletesNeedSpace ?? true;
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      const declared = kinds[key as keyof T];
      const kind = declared === "delete" && deletesNeedSpace ? "write" : declared;
      if (typeof value !== "function" || !kind) return value;
      return async (...args: unknown[]) => {
        const run = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        try {
          let result: unknown;
          try {
            result = await run();
          } catch (err) {
            if (kind !== "read" || !isConnectionLost(err)) throw err;
            monitor.observe(err);
            result = await run();
          }
          if (kind === "write") monitor.writeSucceeded();
          else monitor.readSucceeded();
          return result;
        } catch (err) {
          monitor.observe(err);
          throw faultError(err) ?? err;
        }
      };
    },
  });
}
